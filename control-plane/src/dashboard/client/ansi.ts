// Build tools colour their output with ANSI escape sequences. The colours (SGR 30–37,
// 90–97, bold, reset) become styled segments; every other escape sequence is dropped.
// The segments are plain data: the view puts their text in with textContent.

export interface AnsiSegment {
  text: string;
  /** 0–7 for the normal colours (SGR 30–37), 8–15 for the bright ones (SGR 90–97). */
  fg: number | null;
  bold: boolean;
}

/**
 * CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), a character-set choice (ESC ( B),
 * or any other ESC + one character.
 */
/* eslint-disable no-control-regex -- these patterns are about control characters */
const ESCAPE =
  /\u001b(?:\[([0-9;:?<=>]*)[\u0020-\u002f]*([\u0040-\u007e])?|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\u0020-\u002f]+[\u0030-\u007e]?|[\s\S])?|\u009b[0-9;]*[\u0040-\u007e]?/g;
/** Control characters a terminal would not print (tab stays). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
/* eslint-enable no-control-regex */

/** Splits a line into styled segments; a line with no escapes is one plain segment. */
export function parseAnsi(line: string): AnsiSegment[] {
  if (!line.includes('\u001b') && !line.includes('\u009b')) {
    return [{ text: line.replace(CONTROL, ''), fg: null, bold: false }];
  }
  const segments: AnsiSegment[] = [];
  const style = { fg: null as number | null, bold: false };
  const add = (raw: string) => {
    const text = raw.replace(CONTROL, '');
    if (!text) return;
    const previous = segments[segments.length - 1];
    if (previous && previous.fg === style.fg && previous.bold === style.bold) {
      previous.text += text;
    } else segments.push({ text, fg: style.fg, bold: style.bold });
  };
  let at = 0;
  for (const match of line.matchAll(ESCAPE)) {
    add(line.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[2] === 'm' && match[0].startsWith('\u001b[')) applySgr(style, match[1] ?? '');
  }
  add(line.slice(at));
  return segments;
}

function applySgr(style: { fg: number | null; bold: boolean }, params: string): void {
  if (/[?<=>:]/.test(params)) return; // private or sub-parameter forms: not colours we show
  const codes = params === '' ? [0] : params.split(';').map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) {
      style.fg = null;
      style.bold = false;
    } else if (code === 1) style.bold = true;
    else if (code === 22) style.bold = false;
    else if (code === 39) style.fg = null;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 38 || code === 48) {
      // 256-colour and RGB forms: their arguments are skipped, the colour is not shown.
      i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
    }
  }
}
