/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/// <reference lib="dom.asynciterable" />
// Every view is built here with createElement and text nodes. Nothing in the
// dashboard parses markup, so user data can only ever show up as text.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string | undefined;
  /** Attributes, set with setAttribute; `false`, null and undefined leave them out. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** `data-*` attributes, by their camelCase names. */
  data?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

/** Builds an element. Strings become text nodes; attributes can never be event handlers. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    setAttr(element, name, value);
  }
  for (const [name, value] of Object.entries(props.data ?? {})) element.dataset[name] = value;
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  append(element, ...children);
  return element;
}

export function setAttr(
  element: Element,
  name: string,
  value: string | number | boolean | null | undefined,
): void {
  if (/^on/i.test(name)) throw new Error(`refusing to set the event attribute ${name}`);
  if (value === false || value === null || value === undefined) {
    element.removeAttribute(name);
    return;
  }
  const text = value === true ? '' : String(value);
  if ((name === 'href' || name === 'src') && !isSafeUrl(text)) {
    throw new Error(`refusing a ${name} that is not a same-origin path: ${text}`);
  }
  element.setAttribute(name, text);
}

/** Links inside the dashboard only: `#/…` routes or absolute paths on this origin. */
function isSafeUrl(url: string): boolean {
  return url.startsWith('#') || (url.startsWith('/') && !url.startsWith('//'));
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number'
        ? document.createTextNode(String(child))
        : child,
    );
  }
}

/** Replaces all children. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

export function text(element: Node, value: string): void {
  element.textContent = value;
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function newId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}
