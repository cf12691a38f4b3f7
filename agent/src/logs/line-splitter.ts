import { MAX_LOG_LINE_BYTES } from '@berth/protocol';

/** One line as printed, or one part of a line longer than MAX_LOG_LINE_BYTES. */
export interface SplitLine {
  text: string;
  /** This part goes on from the previous part of the same printed line. */
  continued: boolean;
}

/**
 * Turns one output stream into whole lines, whatever its chunking: a line ends only
 * at `\n` (`\r\n` too), and what is left over at the end of the stream is a line.
 *
 * - A carriage return without a newline redraws the line (a progress bar), so only
 *   the line's final state is kept, and the redrawn states never pile up in memory.
 * - A line longer than MAX_LOG_LINE_BYTES is sent in parts as it comes, the later
 *   parts marked `continued`; a redraw after a part went out starts a new line.
 * - Bytes are decoded with one streaming UTF-8 decoder, so a character split between
 *   chunks stays whole and invalid bytes become U+FFFD.
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  readonly #lineBreak = /[\r\n]/g;
  /** The current line's text since its last redraw. */
  #pending = '';
  /** The last character seen was `\r`: a redraw, unless `\n` comes next. */
  #carriageReturn = false;
  /** Parts of the current line were already emitted. */
  #partsOut = false;

  /** `maxBytes` leaves room for what the caller adds to each part (a colour). */
  constructor(
    private readonly onLine: (line: SplitLine) => void,
    private readonly maxBytes = MAX_LOG_LINE_BYTES,
  ) {}

  /** Raw output bytes; a character may be split across calls. */
  pushBytes(chunk: Uint8Array): void {
    this.push(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Output that is already text (e.g. the `stream` field of a build event). */
  push(text: string): void {
    let start = 0;
    const lineBreak = this.#lineBreak;
    lineBreak.lastIndex = 0;
    for (let match = lineBreak.exec(text); match; match = lineBreak.exec(text)) {
      this.#append(text.slice(start, match.index));
      if (match[0] === '\n') this.#endLine();
      else this.#carriageReturn = true;
      start = match.index + 1;
    }
    this.#append(text.slice(start));
  }

  /** The stream ended: a last line without a newline is a line too. */
  end(): void {
    this.push(this.#decoder.decode());
    if (this.#pending !== '') this.#endLine();
    this.#carriageReturn = false;
    this.#partsOut = false;
  }

  /** Ends the current line if it has text, e.g. when a build step's output is over. */
  breakLine(): void {
    if (this.#pending !== '') this.#endLine();
    this.#carriageReturn = false;
    this.#partsOut = false;
  }

  #append(text: string): void {
    if (text === '') return;
    if (this.#carriageReturn) {
      this.#carriageReturn = false;
      this.#pending = '';
      this.#partsOut = false;
    }
    this.#pending += text;
    // A code unit takes at most 3 UTF-8 bytes, so a shorter text needs no byte count.
    if (this.#pending.length * 3 > this.maxBytes) this.#emitFullParts();
  }

  #endLine(): void {
    this.onLine({ text: this.#pending, continued: this.#partsOut });
    this.#pending = '';
    this.#carriageReturn = false;
    this.#partsOut = false;
  }

  /** Emits parts of maxBytes while more than that is pending. */
  #emitFullParts(): void {
    for (;;) {
      const cut = cutIndex(this.#pending, this.maxBytes);
      if (cut === null) return;
      this.onLine({ text: this.#pending.slice(0, cut), continued: this.#partsOut });
      this.#pending = this.#pending.slice(cut);
      this.#partsOut = true;
    }
  }
}

/**
 * Where to cut a text that is over maxBytes: the most code units whose UTF-8
 * form fits, never inside a surrogate pair. Null when the text fits.
 */
export function cutIndex(text: string, maxBytes = MAX_LOG_LINE_BYTES): number | null {
  // A code unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4).
  if (text.length * 3 <= maxBytes) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return null;
  if (bytes === text.length) return maxBytes; // all ASCII
  let used = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1); // NaN past the end
    const pair = code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (used + size > maxBytes) break;
    used += size;
    index += pair ? 2 : 1;
  }
  return index;
}
