import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { logLineSchema, type LogLine } from '@berth/protocol';

type Listener = (line: LogLine) => void;

/**
 * Each job's log is an append-only NDJSON file. Lines are stored in sequence
 * order exactly once: a duplicate (a resend after a reconnect) is dropped, and
 * a line past a gap waits for the resend that fills it.
 */
export class LogFiles {
  private readonly lastSeq = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.ndjson`);
  }

  /** Appends the lines that come next in sequence; resolves to the highest stored seq. */
  append(jobId: string, lines: LogLine[]): Promise<number> {
    const previous = this.chains.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.appendNow(jobId, lines));
    this.chains.set(
      jobId,
      next.catch(() => undefined),
    );
    return next;
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
    const handle = await open(this.file(jobId), 'a', 0o600);
    try {
      await handle.write(fresh.map((l) => `${JSON.stringify(l)}\n`).join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.lastSeq.set(jobId, last);
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
    await this.read(jobId, 0, (line) => {
      if (line.seq === last + 1) last = line.seq;
    });
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
    try {
      await stat(this.file(jobId));
    } catch {
      return;
    }
    const lines = createInterface({
      input: createReadStream(this.file(jobId), 'utf8'),
      crlfDelay: Infinity,
    });
    for await (const raw of lines) {
      if (!raw) continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        continue; // a torn last line after a crash: its seq will be resent by the agent
      }
      const parsed = logLineSchema.safeParse(value);
      if (parsed.success && parsed.data.seq > after) onLine(parsed.data);
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
