import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { logLineSchema, runLineCount, runLines, type LogLine, type LogRun } from '@berth/protocol';
import {
  dropLines,
  firstWholeRecord,
  followRecords,
  parseRecord,
  pickLines,
  runRecord,
  type ReadCursor,
  type StoredLine,
} from './log-runs.js';

type Listener = (line: LogLine) => void;

/** Bytes read from a log file at a time. */
const READ_CHUNK_BYTES = 64 * 1024;

export type { StoredLine };

export interface ScanOptions {
  /** Only lines with a higher seq. */
  after: number;
  /** At most this many lines. */
  limit?: number;
}

/**
 * Each job's log is an append-only NDJSON file of runs of lines (see log-runs.ts). Lines are
 * stored in sequence order exactly once: the lines of a run that are already stored (a resend
 * after a reconnect) are dropped, and a run past a gap waits for the resend that fills it.
 * Runs are stored as they come and split into lines only for those who read or follow them.
 */
export class LogFiles {
  private readonly lastSeq = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Each job's file, open for appending while its batches come one after another. */
  private readonly handles = new Map<string, FileHandle>();
  /** Per job, the batches waiting for the write in progress to end, and their shared write. */
  private readonly waiting = new Map<string, { runs: LogRun[][]; done: Promise<number> }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.ndjson`);
  }

  /**
   * Appends the lines of these runs that come next in sequence; resolves to the highest
   * stored seq. Batches that arrive while an earlier write is on its way go out together in
   * the next one: one write and one sync for all of them.
   */
  append(jobId: string, runs: LogRun[]): Promise<number> {
    const waiting = this.waiting.get(jobId);
    if (waiting) {
      waiting.runs.push(runs);
      return waiting.done;
    }
    const batches = [runs];
    const previous = this.chains.get(jobId) ?? Promise.resolve();
    const done = previous.then(() => {
      this.waiting.delete(jobId);
      return this.appendNow(jobId, batches.flat());
    });
    this.waiting.set(jobId, { runs: batches, done });
    this.chains.set(
      jobId,
      done.catch(() => undefined),
    );
    return done;
  }

  /**
   * In seq order: a run wholly stored already is dropped, one that starts among the stored
   * lines loses those lines, and one past a gap is left for the resend that fills the gap.
   * A run costs one count of its newlines here; it is split only for listeners.
   */
  private async appendNow(jobId: string, runs: LogRun[]): Promise<number> {
    let last = await this.highestSeq(jobId);
    const fresh: LogRun[] = [];
    for (const run of [...runs].sort((a, b) => a.seq - b.seq)) {
      if (run.seq > last + 1) continue;
      const end = run.seq + runLineCount(run.text) - 1;
      if (end <= last) continue;
      fresh.push(run.seq === last + 1 ? run : dropLines(run, last + 1 - run.seq));
      last = end;
    }
    if (fresh.length === 0) return last;
    let handle = this.handles.get(jobId);
    if (!handle) {
      handle = await open(this.file(jobId), 'a', 0o600);
      this.handles.set(jobId, handle);
    }
    try {
      await handle.write(fresh.map((run) => `${runRecord(run)}\n`).join(''));
      await handle.datasync();
    } catch (err) {
      this.closeFile(jobId);
      throw err;
    }
    this.lastSeq.set(jobId, last);
    // Open while more batches wait behind this one; an idle job holds no file open.
    if (!this.waiting.has(jobId)) this.closeFile(jobId);
    const listeners = this.listeners.get(jobId);
    if (listeners) {
      const lines = fresh.flatMap(runLines);
      for (const listener of listeners) for (const line of lines) listener(line);
    }
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
    // Only the records are followed: their lines need no splitting to know where they end.
    const cursor: ReadCursor = { last: 0, sent: 0 };
    for await (const block of this.blocks(jobId, 0, cursor)) followRecords(block, cursor);
    await this.endTornLine(jobId);
    this.lastSeq.set(jobId, cursor.last);
    return cursor.last;
  }

  /** A crash mid-write can leave a partial last record; end it so the next one starts clean. */
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
   * so a reader never holds more than one chunk. A record of one line keeps its stored JSON text,
   * so fields this version does not know pass through untouched; the lines of a longer run are
   * written the same way, with the run's fields.
   */
  async *scan(jobId: string, options: ScanOptions): AsyncGenerator<StoredLine[]> {
    const limit = options.limit ?? Infinity;
    if (limit <= 0) return;
    const cursor: ReadCursor = { last: 0, sent: 0 };
    for await (const block of this.blocks(jobId, options.after, cursor)) {
      const page = pickLines(block, options.after, cursor, limit);
      if (page.length > 0) yield page;
      if (cursor.sent >= limit) return;
    }
  }

  /**
   * The file as blocks of whole records (but for a torn last one), from a record no later than
   * the one holding seq after + 1; the cursor is set to just before that first record.
   */
  private async *blocks(jobId: string, after: number, cursor: ReadCursor): AsyncGenerator<string> {
    const from = await this.startOf(jobId, after);
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
    cursor.last = from.seq - 1;
    let rest = '';
    try {
      for await (const chunk of input as AsyncIterable<string>) {
        const text = rest + chunk;
        const end = text.lastIndexOf('\n');
        rest = end === -1 ? text : text.slice(end + 1);
        if (end !== -1) yield text.slice(0, end);
      }
      // A last record without its newline is whole only if it parses; the readers check that.
      yield rest;
    } finally {
      input.destroy();
    }
  }

  /**
   * Where reading for lines after `after` starts: the start of a record no later than the one
   * holding seq after + 1, and that record's first seq. Seqs only grow along the file, so it
   * bisects the file by offset instead of reading all that comes before; null when there is
   * no file.
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
        const probe = firstWholeRecord(buffer.subarray(0, bytesRead), middle);
        if (probe && probe.seq <= after) low = probe;
        else high = middle;
      }
      return low;
    } finally {
      await handle.close();
    }
  }

  /** The last seq of the last whole record on disk (0 when none), read from the end of the file. */
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
      // Records are short next to the window, but a long one makes the window grow.
      for (let window = READ_CHUNK_BYTES; ; window *= 4) {
        const start = Math.max(0, size - window);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const records = buffer.toString('utf8').split('\n');
        // The first piece may be the tail of a record cut by the window, unless it starts the file.
        const from = start === 0 ? 0 : 1;
        for (let i = records.length - 1; i >= from; i--) {
          const record = parseRecord(records[i]!);
          if (record !== null) return record.last;
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
