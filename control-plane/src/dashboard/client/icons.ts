/// <reference lib="dom" />
// Line icons on a 24×24 grid, drawn with stroke = currentColor.

const SVG_NS = 'http://www.w3.org/2000/svg';

type Shape =
  | { path: string }
  | { circle: [cx: number, cy: number, r: number] }
  | { rect: [x: number, y: number, w: number, h: number, r: number] };

const ICONS = {
  rocket: [
    {
      path: 'M20.5 3.5c-4.6-.2-8.6 1.8-11.3 5.7L7.6 11.6l4.8 4.8 2.4-1.6c3.9-2.7 5.9-6.7 5.7-11.3z',
    },
    { circle: [15.2, 8.8, 1.6] },
    { path: 'M9.2 9.2 5.5 9 3 12l4.6.6' },
    { path: 'M14.8 14.8l.2 3.7-3 2.5-.6-4.6' },
    { path: 'M7.2 15.2c-1.9.4-3.2 2-3.7 4.8 2.8-.5 4.4-1.8 4.8-3.7' },
  ],
  restart: [{ path: 'M20 12a8 8 0 1 1-2.4-5.7' }, { path: 'M20 4v4.5h-4.5' }],
  stop: [{ rect: [6, 6, 12, 12, 2] }],
  copy: [
    { rect: [9, 9, 11, 11, 2] },
    { path: 'M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1' },
  ],
  check: [{ path: 'M5 12.5l4.5 4.5L19 7.5' }],
  logs: [{ path: 'M4 6h16' }, { path: 'M4 10h16' }, { path: 'M4 14h10' }, { path: 'M4 18h13' }],
  x: [{ path: 'M6 6l12 12' }, { path: 'M18 6 6 18' }],
  rollback: [{ path: 'M9 13 4 8l5-5' }, { path: 'M4 8h10.5a5.5 5.5 0 0 1 0 11H10' }],
  plus: [{ path: 'M12 5v14' }, { path: 'M5 12h14' }],
  chevron: [{ path: 'M9 6l6 6-6 6' }],
  eye: [{ path: 'M2.5 12S6 5 12 5s9.5 7 9.5 7-3.5 7-9.5 7-9.5-7-9.5-7z' }, { circle: [12, 12, 3] }],
  eyeOff: [
    { path: 'M3 3l18 18' },
    { path: 'M10.6 5.1A9.6 9.6 0 0 1 12 5c6 0 9.5 7 9.5 7a16 16 0 0 1-3 3.8' },
    { path: 'M6.6 6.6C4 8.3 2.5 12 2.5 12s3.5 7 9.5 7a9 9 0 0 0 5-1.5' },
    { path: 'M9.9 9.9a3 3 0 0 0 4.2 4.2' },
  ],
  server: [
    { rect: [3, 4, 18, 7, 2] },
    { rect: [3, 13, 18, 7, 2] },
    { path: 'M7 7.5h.01' },
    { path: 'M7 16.5h.01' },
  ],
  folder: [
    {
      path: 'M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2.5h8.5A1.5 1.5 0 0 1 21 9v8.5a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z',
    },
  ],
  logout: [
    { path: 'M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3' },
    { path: 'M10 16l-4-4 4-4' },
    { path: 'M6 12h10' },
  ],
  arrowDown: [{ path: 'M12 5v14' }, { path: 'M6 13l6 6 6-6' }],
  key: [{ circle: [8, 15, 4] }, { path: 'M10.8 12.2 20 3' }, { path: 'M16 7l3 3' }],
  download: [{ path: 'M12 4v11' }, { path: 'M7 10l5 5 5-5' }, { path: 'M5 20h14' }],
  trash: [{ path: 'M4 7h16' }, { path: 'M9 7V4.5h6V7' }, { path: 'M6.5 7l1 13h9l1-13' }],
  users: [
    { circle: [9, 8, 3.5] },
    { path: 'M2.5 20c.6-3.6 3.2-5.5 6.5-5.5s5.9 1.9 6.5 5.5' },
    { path: 'M15.5 4.8a3.5 3.5 0 0 1 0 6.4' },
    { path: 'M18 14.8c2 .7 3.2 2.4 3.5 5.2' },
  ],
  alert: [{ path: 'M12 3.5 2.5 20h19z' }, { path: 'M12 10v4' }, { path: 'M12 17h.01' }],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof ICONS;

export function icon(name: IconName, size = 16): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  for (const shape of ICONS[name] as Shape[]) svg.appendChild(drawShape(shape));
  return svg;
}

function drawShape(shape: Shape): SVGElement {
  if ('path' in shape) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', shape.path);
    return path;
  }
  if ('circle' in shape) {
    const [cx, cy, r] = shape.circle;
    const circle = document.createElementNS(SVG_NS, 'circle');
    circle.setAttribute('cx', String(cx));
    circle.setAttribute('cy', String(cy));
    circle.setAttribute('r', String(r));
    return circle;
  }
  const [x, y, width, height, r] = shape.rect;
  const rect = document.createElementNS(SVG_NS, 'rect');
  for (const [name, value] of Object.entries({ x, y, width, height, rx: r })) {
    rect.setAttribute(name, String(value));
  }
  return rect;
}
