import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { logLineSchema, type LogLine } from '@berth/protocol';

type Listener = (line: LogLine) => void;

/** Bytes read from a log file at a time. */
const READ_CHUNK_BYTES = 64 * 1024;

/** One stored line: its seq and its JSON text exactly as stored. */
export interface StoredLine {
  seq: number;
  json: string;
}

export interface ScanOptions {
  /** Only lines with a higher seq. */
  after: number;
  /** At most this many lines. */
  limit?: number;
}

/** The seq of a stored line when it is a whole JSON line object, else null (a torn write). */
function wholeLineSeq(raw: string): number | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { seq, text } = value as { seq?: unknown; text?: unknown };
  return Number.isSafeInteger(seq) && typeof text === 'string' ? (seq as number) : null;
}

/** The first whole line that starts in a block read at `position` (not at its very start). */
function firstWholeLine(block: Buffer, position: number): { offset: number; seq: number } | null {
  let start = block.indexOf(0x0a) + 1;
  while (start > 0) {
    const end = block.indexOf(0x0a, start);
    if (end === -1) return null;
    const seq = wholeLineSeq(block.toString('utf8', start, end));
    if (seq !== null) return { offset: position + start, seq };
    start = end + 1;
  }
  return null;
}

/** A stored line starts this way; reading the seq from it skips a full parse of lines not sent. */
const SEQ_PREFIX = /^\{"seq":(\d+),/;

/**
 * The whole lines of a block with seq > after, keeping the file's sequence: each seq once
 * and only the next one (a torn write's seq comes again, whole, after it).
 */
function pickLines(
  block: string,
  after: number,
  cursor: { last: number; sent: number },
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
      // Not sent, so a cheap look is enough; it only moves the cursor.
      if (Number(quick[1]) === cursor.last + 1) cursor.last += 1;
      continue;
    }
    const seq = wholeLineSeq(raw);
    if (seq === null || seq !== cursor.last + 1) continue;
    cursor.last = seq;
    if (seq <= after) continue;
    page.push({ seq, json: raw });
    cursor.sent += 1;
  }
  return page;
}

/**
 * Each job's log is an append-only NDJSON file. Lines are stored in sequence
 * order exactly once: a duplicate (a resend after a reconnect) is dropped, and
 * a line past a gap waits for the resend that fills it.
 */
export class LogFiles {
  private readonly lastSeq = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Each job's file, open for appending while its batches come one after another. */
  private readonly handles = new Map<string, FileHandle>();
  /** Per job, the batches waiting for the write in progress to end, and their shared write. */
  private readonly waiting = new Map<string, { lines: LogLine[][]; done: Promise<number> }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.ndjson`);
  }

  /**
   * Appends the lines that come next in sequence; resolves to the highest stored seq.
   * Batches that arrive while an earlier write is on its way go out together in the
   * next one: one write and one sync for all of them.
   */
  append(jobId: string, lines: LogLine[]): Promise<number> {
    const waiting = this.waiting.get(jobId);
    if (waiting) {
      waiting.lines.push(lines);
      return waiting.done;
    }
    const batches = [lines];
    const previous = this.chains.get(jobId) ?? Promise.resolve();
    const done = previous.then(() => {
      this.waiting.delete(jobId);
      return this.appendNow(jobId, batches.flat());
    });
    this.waiting.set(jobId, { lines: batches, done });
    this.chains.set(
      jobId,
      done.catch(() => undefined),
    );
    return done;
  }

  private async appendNow(jobId: string, lines: LogLine[]): Promise<number> {
    let last = await this.highestSeq(jobId);
    const fresh: LogLine[] = [];
    for (const line of [...lines].sort((a, b) => a.seq - b.seq)) {
      if (line.seq !== last + 1) continue;
      fresh.push(line);
      last = line.seq;
    }
    if (fresh.length === 0) return last;
    let handle = this.handles.get(jobId);
    if (!handle) {
      handle = await open(this.file(jobId), 'a', 0o600);
      this.handles.set(jobId, handle);
    }
    try {
      await handle.write(fresh.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await handle.datasync();
    } catch (err) {
      this.closeFile(jobId);
      throw err;
    }
    this.lastSeq.set(jobId, last);
    // Open while more batches wait behind this one; an idle job holds no file open.
    if (!this.waiting.has(jobId)) this.closeFile(jobId);
    for (const listener of this.listeners.get(jobId) ?? [])
      for (const line of fresh) listener(line);
    return last;
  }

  /** Resolves once every append made so far for the job is on disk. */
  async settled(jobId: string): Promise<void> {
    await this.chains.get(jobId);
  }

  /**
   * Lets go of a finished job's bookkeeping once its pending appends are done. A line that still
   * arrives later is stored all the same: the highest seq is read back from the file.
   */
  forget(jobId: string): void {
    const chain = this.chains.get(jobId);
    if (!chain) {
      this.lastSeq.delete(jobId);
      return;
    }
    void chain.then(() => {
      if (this.chains.get(jobId) !== chain) return;
      this.chains.delete(jobId);
      this.lastSeq.delete(jobId);
    });
  }

  private closeFile(jobId: string): void {
    const handle = this.handles.get(jobId);
    this.handles.delete(jobId);
    void handle?.close().catch(() => undefined);
  }

  /** Deletes a job's log file (retention); missing files are fine. */
  async remove(jobId: string): Promise<void> {
    await this.settled(jobId);
    this.forget(jobId);
    await rm(this.file(jobId), { force: true });
  }

  /** How many jobs have bookkeeping in memory; bounded by the jobs still writing. */
  get trackedJobs(): number {
    return Math.max(this.chains.size, this.lastSeq.size);
  }

  /** The highest sequence number stored for a job (0 when none). */
  async highestSeq(jobId: string): Promise<number> {
    const known = this.lastSeq.get(jobId);
    if (known !== undefined) return known;
    let last = 0;
    for await (const page of this.scan(jobId, { after: 0 })) last = page[page.length - 1]!.seq;
    await this.endTornLine(jobId);
    this.lastSeq.set(jobId, last);
    return last;
  }

  /** A crash mid-write can leave a partial last line; end it so the next line starts clean. */
  private async endTornLine(jobId: string): Promise<void> {
    let handle;
    try {
      handle = await open(this.file(jobId), 'r+');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return;
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
      if (buffer[0] !== 0x0a) await handle.write('\n', size);
    } finally {
      await handle.close();
    }
  }

  /** Calls onLine for each stored line with seq > after, in order. */
  async read(jobId: string, after: number, onLine: (line: LogLine) => void): Promise<void> {
    for await (const page of this.scan(jobId, { after })) {
      for (const stored of page) {
        const parsed = logLineSchema.safeParse(JSON.parse(stored.json));
        if (parsed.success) onLine(parsed.data);
      }
    }
  }

  /**
   * Yields the stored lines with seq > after, in order and each seq once, a file chunk at a time,
   * so a reader never holds more than one chunk. Each line keeps its stored JSON text, so fields
   * this version does not know pass through untouched.
   */
  async *scan(jobId: string, options: ScanOptions): AsyncGenerator<StoredLine[]> {
    const limit = options.limit ?? Infinity;
    if (limit <= 0) return;
    const from = await this.startOf(jobId, options.after);
    if (!from) return; // no file yet: no lines
    let input;
    try {
      input = createReadStream(this.file(jobId), {
        encoding: 'utf8',
        highWaterMark: READ_CHUNK_BYTES,
        start: from.offset,
      });
      await new Promise<void>((resolve, reject) => {
        input!.once('open', () => resolve());
        input!.once('error', reject);
      });
    } catch {
      return; // no file yet: no lines
    }
    const cursor = { last: from.seq - 1, sent: 0 };
    let rest = '';
    try {
      for await (const chunk of input as AsyncIterable<string>) {
        const text = rest + chunk;
        const end = text.lastIndexOf('\n');
        rest = end === -1 ? text : text.slice(end + 1);
        if (end === -1) continue;
        const page = pickLines(text.slice(0, end), options.after, cursor, limit);
        if (page.length > 0) yield page;
        if (cursor.sent >= limit) return;
      }
      // A last line without its newline is whole only if it parses; pickLines checks that.
      const page = pickLines(rest, options.after, cursor, limit);
      if (page.length > 0) yield page;
    } finally {
      input.destroy();
    }
  }

  /**
   * Where reading for lines after `after` starts: a line start no later than the first such
   * line, and that line's seq. Seqs only grow along the file, so it bisects the file by
   * offset instead of reading all that comes before; null when there is no file.
   */
  private async startOf(
    jobId: string,
    after: number,
  ): Promise<{ offset: number; seq: number } | null> {
    let handle;
    try {
      handle = await open(this.file(jobId), 'r');
    } catch {
      return null;
    }
    try {
      let low = { offset: 0, seq: 1 };
      let high = (await handle.stat()).size;
      const buffer = Buffer.alloc(READ_CHUNK_BYTES);
      while (after > 0 && high - low.offset > READ_CHUNK_BYTES) {
        const middle = Math.floor((low.offset + high) / 2);
        const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK_BYTES, middle);
        const probe = firstWholeLine(buffer.subarray(0, bytesRead), middle);
        if (probe && probe.seq <= after) low = probe;
        else high = middle;
      }
      return low;
    } finally {
      await handle.close();
    }
  }

  /** The seq of the last whole line on disk (0 when none), read from the end of the file. */
  async lastStoredSeq(jobId: string): Promise<number> {
    const known = this.lastSeq.get(jobId);
    if (known !== undefined) return known;
    let handle;
    try {
      handle = await open(this.file(jobId), 'r');
    } catch {
      return 0;
    }
    try {
      const { size } = await handle.stat();
      // Lines are short next to the window, but a long one makes the window grow.
      for (let window = READ_CHUNK_BYTES; ; window *= 4) {
        const start = Math.max(0, size - window);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const lines = buffer.toString('utf8').split('\n');
        // The first piece may be the tail of a line cut by the window, unless it starts the file.
        const from = start === 0 ? 0 : 1;
        for (let i = lines.length - 1; i >= from; i--) {
          const seq = wholeLineSeq(lines[i]!);
          if (seq !== null) return seq;
        }
        if (start === 0) return 0;
      }
    } finally {
      await handle.close();
    }
  }

  /** Calls listener for every line appended from now on; returns the unsubscribe function. */
  subscribe(jobId: string, listener: Listener): () => void {
    const set = this.listeners.get(jobId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }
}
