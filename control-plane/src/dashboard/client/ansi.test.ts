import { describe, expect, it } from 'vitest';
import { parseAnsi } from './ansi.js';

const ESC = '\u001b';

describe('parseAnsi', () => {
  it('keeps plain text as one plain segment', () => {
    expect(parseAnsi('Step 1/3 : FROM busybox <b>&amp;</b>')).toEqual([
      { text: 'Step 1/3 : FROM busybox <b>&amp;</b>', fg: null, bold: false },
    ]);
  });

  it('colours text with SGR 30–37 and 90–97, bold and reset', () => {
    expect(parseAnsi(`${ESC}[31merror${ESC}[0m: ${ESC}[1;92mok${ESC}[22m!${ESC}[m.`)).toEqual([
      { text: 'error', fg: 1, bold: false },
      { text: ': ', fg: null, bold: false },
      { text: 'ok', fg: 10, bold: true },
      { text: '!', fg: 10, bold: false },
      { text: '.', fg: null, bold: false },
    ]);
    expect(parseAnsi(`${ESC}[1mbold${ESC}[39m`)).toEqual([{ text: 'bold', fg: null, bold: true }]);
  });

  it('drops other escape sequences and control characters', () => {
    expect(
      parseAnsi(
        `${ESC}[2K${ESC}[1Gdone${ESC}]0;title\u0007 ${ESC}[?25l${ESC}[38;5;196mx${ESC}(B\u0008`,
      ),
    ).toEqual([{ text: 'done x', fg: null, bold: false }]);
    expect(parseAnsi(`a${ESC}[44mb${ESC}`)).toEqual([{ text: 'ab', fg: null, bold: false }]);
  });

  it('keeps colours whose text is adjacent merged, and empty lines empty', () => {
    expect(parseAnsi(`${ESC}[33mwa${ESC}[33mrn`)).toEqual([{ text: 'warn', fg: 3, bold: false }]);
    expect(parseAnsi('')).toEqual([{ text: '', fg: null, bold: false }]);
    expect(parseAnsi(`${ESC}[0m`)).toEqual([]);
  });
});
