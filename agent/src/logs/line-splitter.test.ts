import { MAX_LOG_LINE_BYTES } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import { LineSplitter, cutIndex, type SplitLine } from './line-splitter.js';

function splitBytes(chunks: Uint8Array[]): SplitLine[] {
  const lines: SplitLine[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.pushBytes(chunk);
  splitter.end();
  return lines;
}

function splitText(chunks: string[]): SplitLine[] {
  const lines: SplitLine[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

const texts = (lines: SplitLine[]) => lines.map((l) => l.text);

/** Joins continuation parts back into the lines as printed. */
function rejoin(lines: SplitLine[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line.continued) out[out.length - 1] += line.text;
    else out.push(line.text);
  }
  return out;
}

// ASCII, a 2-byte, a 3-byte and a 4-byte character, ANSI colours, CRLF, a redraw and a blank line.
const SAMPLE = Buffer.from(
  'Step 1/3 : FROM x\nnaïve café ✓ 🚀 done\r\n\u001b[31mred\u001b[0m\nprogress 10%\rprogress 99%\rprogress 100%\n\nlast line, no newline',
);
const SAMPLE_LINES = [
  'Step 1/3 : FROM x',
  'naïve café ✓ 🚀 done',
  '\u001b[31mred\u001b[0m',
  'progress 100%',
  '',
  'last line, no newline',
];

describe('LineSplitter', () => {
  it('gives the same whole lines at every split point of the bytes', () => {
    for (let cut = 0; cut <= SAMPLE.length; cut += 1) {
      const lines = splitBytes([SAMPLE.subarray(0, cut), SAMPLE.subarray(cut)]);
      expect(texts(lines), `split at byte ${cut}`).toEqual(SAMPLE_LINES);
      expect(lines.every((l) => !l.continued)).toBe(true);
    }
  });

  it('gives the same lines at every pair of split points, and one byte at a time', () => {
    for (let a = 0; a <= SAMPLE.length; a += 3) {
      for (let b = a; b <= SAMPLE.length; b += 5) {
        const chunks = [SAMPLE.subarray(0, a), SAMPLE.subarray(a, b), SAMPLE.subarray(b)];
        expect(texts(splitBytes(chunks)), `split at ${a} and ${b}`).toEqual(SAMPLE_LINES);
      }
    }
    const bytewise = [...SAMPLE].map((byte) => Uint8Array.of(byte));
    expect(texts(splitBytes(bytewise))).toEqual(SAMPLE_LINES);
  });

  it('gives the same lines for text chunks split anywhere (build events)', () => {
    const text = SAMPLE.toString('utf8');
    for (let cut = 0; cut <= text.length; cut += 1) {
      expect(texts(splitText([text.slice(0, cut), text.slice(cut)]))).toEqual(SAMPLE_LINES);
    }
  });

  it('replaces invalid UTF-8 with U+FFFD and drops nothing around it', () => {
    const bytes = Buffer.concat([
      Buffer.from('bad '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' mid '),
      Buffer.from([0xc3]), // a lead byte with no continuation
      Buffer.from(' end\ncut '),
      Buffer.from([0xe2, 0x9c]), // a character cut off by the end of the stream
    ]);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const lines = splitBytes([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(texts(lines), `split at ${cut}`).toEqual([
        'bad \uFFFD\uFFFD mid \uFFFD end',
        'cut \uFFFD',
      ]);
    }
  });

  it('keeps only the final state of a redrawn line, and a lone CR at the end keeps its text', () => {
    expect(texts(splitText(['a\rb\rc\n', 'd\r', '\n', 'e\r\r\n', 'f\r']))).toEqual([
      'c',
      'd',
      'e',
      'f',
    ]);
    // CR and LF in separate chunks are still one line end
    expect(texts(splitText(['one\r', '\ntwo\r', '', '\n']))).toEqual(['one', 'two']);
  });

  it('keeps blank lines and emits nothing for an empty stream', () => {
    expect(texts(splitText(['\n\n', 'x\n']))).toEqual(['', '', 'x']);
    expect(splitText([])).toEqual([]);
    expect(splitText(['', ''])).toEqual([]);
  });

  it('cuts a line over 16 KiB into parts marked continued that rejoin to the line', () => {
    const long = 'x'.repeat(64 * 1024) + 'tail';
    const line = `${long}\nnext\n`;
    for (const size of [1, 1000, 4096, 16_384, 16_385, 70_000]) {
      const chunks: string[] = [];
      for (let i = 0; i < line.length; i += size) chunks.push(line.slice(i, i + size));
      const lines = splitText(chunks);
      expect(rejoin(lines), `chunks of ${size}`).toEqual([long, 'next']);
      expect(lines.map((l) => l.continued)).toEqual([false, true, true, true, true, false]);
      expect(lines.slice(0, 4).every((l) => l.text.length === MAX_LOG_LINE_BYTES)).toBe(true);
    }
    // exactly the limit is one whole line
    expect(splitText(['y'.repeat(MAX_LOG_LINE_BYTES)])).toEqual([
      { text: 'y'.repeat(MAX_LOG_LINE_BYTES), continued: false },
    ]);
  });

  it('cuts long multi-byte lines at character boundaries within the byte limit', () => {
    const long = '€🚀a'.repeat(6000); // 3 + 4 + 1 bytes each
    const bytes = Buffer.from(`${long}\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 777) chunks.push(bytes.subarray(i, i + 777));
    const lines = splitBytes(chunks);
    expect(rejoin(lines)).toEqual([long]);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(Buffer.byteLength(line.text)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
      expect(line.text).not.toContain('\uFFFD');
    }
  });

  it('holds only the last state of a line redrawn many times', () => {
    const lines: SplitLine[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (let i = 0; i <= 100_000; i += 1) splitter.push(`downloading ${i}\r`);
    splitter.push('\n');
    expect(lines).toEqual([{ text: 'downloading 100000', continued: false }]);
  });

  it('breakLine ends an open line, and does nothing between lines', () => {
    const lines: SplitLine[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('no newline');
    splitter.breakLine();
    splitter.breakLine();
    splitter.push('next\n');
    splitter.end();
    expect(texts(lines)).toEqual(['no newline', 'next']);
  });
});

describe('cutIndex', () => {
  it('is null within the limit and never splits a surrogate pair', () => {
    expect(cutIndex('a'.repeat(MAX_LOG_LINE_BYTES))).toBeNull();
    const text = `${'a'.repeat(MAX_LOG_LINE_BYTES - 2)}🚀b`;
    expect(cutIndex(text)).toBe(MAX_LOG_LINE_BYTES - 2);
  });
});
