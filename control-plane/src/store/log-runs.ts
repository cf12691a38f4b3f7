import { runLineCount, type LogRun } from '@berth/protocol';

// The records of a job's log file: each is one run of lines (see logRunSchema) as JSON, and
// covers the seqs [seq, seq + its line count - 1]. A record of one line is a LogLine, so files
// written one line per record read the same way.

/** One stored line: its seq and its JSON text exactly as stored. */
export interface StoredLine {
  seq: number;
  json: string;
}

/** A whole record read back: the seqs it covers, its stored text and its fields. */
export interface StoredRecord {
  seq: number;
  last: number;
  raw: string;
  fields: Record<string, unknown> & { text: string };
}

/**
 * How far a reader has come in a file: `last` is the highest seq accounted for along the
 * file's sequence, and `sent` how many lines it has handed out.
 */
export interface ReadCursor {
  last: number;
  sent: number;
}

/** A run as it is stored: the bytes `JSON.stringify` writes for a LogLine with those fields. */
export function runRecord(run: LogRun): string {
  const { seq, ts, stream, text, continued } = run;
  return JSON.stringify(
    continued ? { seq, ts, stream, text, continued } : { seq, ts, stream, text },
  );
}

/** The run without its first `count` lines (fewer than it holds). */
export function dropLines(run: LogRun, count: number): LogRun {
  let at = -1;
  for (let i = 0; i < count; i += 1) at = run.text.indexOf('\n', at + 1);
  return { ...run, seq: run.seq + count, text: run.text.slice(at + 1) };
}

/** The record a stored line of the file holds when it is whole JSON, else null (a torn write). */
export function parseRecord(raw: string): StoredRecord | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Record<string, unknown>;
  const { seq, text } = fields;
  if (!Number.isSafeInteger(seq) || typeof text !== 'string') return null;
  const first = seq as number;
  return {
    seq: first,
    last: first + runLineCount(text) - 1,
    raw,
    fields: fields as StoredRecord['fields'],
  };
}

/** The first whole record that starts in a block read at `position` (not at its very start). */
export function firstWholeRecord(
  block: Buffer,
  position: number,
): { offset: number; seq: number } | null {
  let start = block.indexOf(0x0a) + 1;
  while (start > 0) {
    const end = block.indexOf(0x0a, start);
    if (end === -1) return null;
    const record = parseRecord(block.toString('utf8', start, end));
    if (record !== null) return { offset: position + start, seq: record.seq };
    start = end + 1;
  }
  return null;
}

/** A stored record starts this way; reading the seq from it skips a full parse of lines not sent. */
const SEQ_PREFIX = /^\{"seq":(\d+),/;

/**
 * A seq no lower than the last one a stored record covers, without parsing it: each line
 * after the first puts the two characters `\n` (an escaped newline) in the JSON; elsewhere
 * they only come from an escaped backslash before an "n", which only makes the bound higher.
 */
function lastSeqBound(raw: string, seq: number): number {
  let last = seq;
  for (let at = raw.indexOf('\\n'); at !== -1; at = raw.indexOf('\\n', at + 2)) last += 1;
  return last;
}

/**
 * The JSON of each line of a record, in the same key order, so fields this version does not
 * know pass through: the record's own text with the seq and text of the line put in.
 */
function lineJson(fields: StoredRecord['fields']): (seq: number, text: string) => string {
  const pieces: string[] = [];
  const slots: ('seq' | 'text')[] = [];
  let piece = '{';
  let first = true;
  for (const [key, value] of Object.entries(fields)) {
    piece += `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    if (key === 'seq' || key === 'text') {
      pieces.push(piece);
      slots.push(key);
      piece = '';
    } else piece += JSON.stringify(value);
  }
  pieces.push(`${piece}}`);
  return (seq, text) => {
    let json = pieces[0]!;
    for (let i = 0; i < slots.length; i += 1) {
      json += slots[i] === 'seq' ? String(seq) : JSON.stringify(text);
      json += pieces[i + 1]!;
    }
    return json;
  };
}

/** Adds the record's lines from seq `from` on to the page, at most `room` of them; returns how many. */
function addLines(page: StoredLine[], record: StoredRecord, from: number, room: number): number {
  if (record.seq === record.last) {
    page.push({ seq: record.seq, json: record.raw });
    return 1;
  }
  const build = lineJson(record.fields);
  const lines = record.fields.text.split('\n');
  const end = Math.min(lines.length, from - record.seq + room);
  for (let i = from - record.seq; i < end; i += 1) {
    page.push({ seq: record.seq + i, json: build(record.seq + i, lines[i]!) });
  }
  return end - (from - record.seq);
}

/**
 * The lines of a block's whole records with seq > after, keeping the file's sequence: each
 * seq once, and a record only when it goes on from what came before (a torn write's seqs
 * come again, whole, after it); of a record that overlaps what came before, only its later
 * lines.
 */
export function pickLines(
  block: string,
  after: number,
  cursor: ReadCursor,
  limit: number,
): StoredLine[] {
  const page: StoredLine[] = [];
  let start = 0;
  while (start <= block.length && cursor.sent < limit) {
    let end = block.indexOf('\n', start);
    if (end === -1) end = block.length;
    const raw = block.slice(start, end);
    start = end + 1;
    const quick = SEQ_PREFIX.exec(raw);
    if (quick && Number(quick[1]) <= after) {
      const seq = Number(quick[1]);
      const bound = lastSeqBound(raw, seq);
      if (bound <= after) {
        // Nothing in it is sent, so a cheap look is enough: it only moves the cursor, and
        // never past `after`, so no line that is sent depends on the bound being exact.
        if (seq <= cursor.last + 1) cursor.last = Math.max(cursor.last, bound);
        continue;
      }
    }
    const record = parseRecord(raw);
    if (record === null || record.seq > cursor.last + 1 || record.last <= cursor.last) continue;
    const from = Math.max(cursor.last, after) + 1;
    cursor.last = record.last;
    if (record.last >= from) cursor.sent += addLines(page, record, from, limit - cursor.sent);
  }
  return page;
}

/** Moves the cursor over a block's whole records that go on from what came before. */
export function followRecords(block: string, cursor: ReadCursor): void {
  let start = 0;
  while (start <= block.length) {
    let end = block.indexOf('\n', start);
    if (end === -1) end = block.length;
    const record = parseRecord(block.slice(start, end));
    start = end + 1;
    if (record !== null && record.seq <= cursor.last + 1 && record.last > cursor.last)
      cursor.last = record.last;
  }
}
