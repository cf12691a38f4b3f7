import { constants, mkdirSync, readdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogStream } from '@berth/protocol';
import { LineChunk } from './line-chunk.js';
import { cutIndex } from './line-splitter.js';
import { readSpoolRuns, recoverSpoolFile, writeAt } from './spool-file.js';
import {
  BACKLOG_BYTES,
  BACKLOG_LINES,
  BATCH_BYTES,
  BATCH_MS,
  BATCH_RUNS,
  HELD_BYTES,
  closeRun,
  gatherLine,
  newJobLog,
  queuedBytes,
  queuedLines,
  writeNow,
  type JobLog,
} from './spool-job.js';

export {
  BACKLOG_BYTES,
  BACKLOG_LINES,
  BATCH_BYTES,
  BATCH_LINES,
  BATCH_MS,
  BATCH_RUNS,
  HELD_BYTES,
  RUN_CHARS,
  WRITE_BYTES,
} from './spool-job.js';

/** Retry delay after a failed spool write, in milliseconds. */
const WRITE_RETRY_MS = 1_000;

export interface LogSender {
  /**
   * Sends a `log.runs` frame, already encoded (see LineChunk.frame). Returns false when
   * the socket is not open; the lines stay spooled.
   */
  sendLogRuns(jobId: string, frame: Buffer): boolean;
}

/**
 * Every line of a job gets the next sequence number (from 1, no gaps). Lines are
 * gathered for up to BATCH_MS (or BATCH_LINES), appended to the job's spool file in
 * one write, and only then sent, in frames of up to BATCH_RUNS runs. They stay in the
 * file until the control plane acknowledges them; after a reconnect the rest is
 * sent again. Memory holds at most HELD_BYTES of written lines per job.
 *
 * Consecutive lines of a stream printed within the same millisecond form a run (see
 * logRunSchema), encoded to JSON once, when it closes, into a chunk of bytes (a
 * {@link LineChunk}); the chunk is written, held and sent from as it is. A build printing
 * a million lines costs each side the runs, not the lines.
 */
export class LogSpool {
  private readonly jobs = new Map<string, JobLog>();
  /** The time of the last line, and its JSON: lines printed within a millisecond share it. */
  #tsAt = NaN;
  #tsJson = '';

  constructor(
    private readonly dir: string,
    private readonly sender: LogSender,
    /** The clock, in ms since the epoch. */
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.load();
  }

  /**
   * Numbers and queues a line. Text with newlines becomes a line each; text longer than
   * MAX_LOG_LINE_BYTES becomes several lines, the later ones `continued`. Returns the
   * (last) line's seq.
   */
  append(jobId: string, stream: LogStream, text: string, continued = false): number {
    const job = this.job(jobId);
    const tsJson = this.timestamp();
    // A newline in the text (a multi-line error message) ends a line: a run's lines are
    // counted by its newlines, on both sides.
    const lines = text.includes('\n') ? text.split('\n') : [text];
    if (lines.length > 1 && lines.at(-1) === '') lines.pop(); // the last line's own newline
    for (const [index, line] of lines.entries()) {
      let rest = line;
      let part = index === 0 && continued;
      do {
        const cut = cutIndex(rest);
        const piece = cut === null ? rest : rest.slice(0, cut);
        rest = cut === null ? '' : rest.slice(cut);
        job.last += 1;
        gatherLine(job, stream, tsJson, piece, part);
        part = true;
      } while (rest !== '');
    }
    if (writeNow(job)) this.write(job);
    else job.timer ??= setTimeout(() => this.write(job), BATCH_MS);
    return job.last;
  }

  /**
   * Null while the job's backlog of lines to write is below BACKLOG_LINES; else a promise
   * that resolves once it is down to half. A producer pauses its input meanwhile.
   */
  room(jobId: string): Promise<void> | null {
    const job = this.jobs.get(jobId);
    if (!job || (queuedLines(job) < BACKLOG_LINES && queuedBytes(job) < BACKLOG_BYTES)) return null;
    return new Promise((resolve) => job.whenRoom.push(resolve));
  }

  /** The highest sequence number given out for a job so far. */
  lastSeq(jobId: string): number {
    return this.jobs.get(jobId)?.last ?? 0;
  }

  /** No more lines will come: writes what is queued now; the file goes once all is acknowledged. */
  finish(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.finished = true;
    this.write(job);
    this.dropIfDone(job);
  }

  /**
   * Calls `fn` once every line of the job given out so far is sent on this connection,
   * so a message that must follow the log (`job.finished`) does. A reconnect drops the
   * waiting calls: whoever resends after `resendAll` asks again.
   */
  afterSent(jobId: string, fn: () => void): void {
    const job = this.jobs.get(jobId);
    if (!job || job.sent >= job.last) fn();
    else job.whenSent.push(fn);
  }

  ack(jobId: string, seq: number): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.acked = Math.max(job.acked, Math.min(seq, job.written));
    job.sent = Math.max(job.sent, job.acked);
    while (job.held.length > 0 && job.held[0]!.lastSeq <= job.acked) {
      const chunk = job.held.shift()!;
      job.heldLines -= chunk.count;
      job.heldBytes -= chunk.byteLength;
    }
    this.pump(job);
    this.dropIfDone(job);
  }

  /** After a (re)connect: send again everything not acknowledged. */
  resendAll(): void {
    for (const job of this.jobs.values()) {
      job.sent = job.acked;
      job.whenSent = [];
      this.pump(job);
    }
  }

  /** Lines not yet acknowledged, over all jobs. */
  get pendingLines(): number {
    let total = 0;
    for (const job of this.jobs.values()) total += job.last - job.acked;
    return total;
  }

  /** Lines held in memory (queued, or written and not acknowledged), over all jobs. */
  get heldLines(): number {
    let total = 0;
    for (const job of this.jobs.values()) {
      const firstHeld = job.held[0]?.firstSeq ?? job.acked + 1;
      total += queuedLines(job) + job.heldLines - Math.max(0, job.acked + 1 - firstHeld);
    }
    return total;
  }

  /** Bytes of written lines held in memory, over all jobs. */
  get heldBytes(): number {
    let total = 0;
    for (const job of this.jobs.values()) total += job.heldBytes;
    return total;
  }

  /** Writes everything queued now and resolves once it is written and sent as far as it can be. */
  async flush(): Promise<void> {
    for (;;) {
      const busy: Promise<void>[] = [];
      for (const job of this.jobs.values()) {
        if ((job.pending || job.run) && !job.writing) this.write(job);
        if (job.writing) busy.push(job.writing);
        if (job.refilling) busy.push(job.refilling);
      }
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /**
   * Writes the queued lines at the end of what is written, then sends them. One write
   * per job at a time. A failed write is tried again at the same place, so a partial
   * one leaves no torn or doubled line behind.
   */
  private write(job: JobLog): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    if (job.writing) return;
    closeRun(job);
    const chunk = job.pending;
    if (!chunk) return;
    job.pending = null;
    job.handle ??= open(job.file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    job.writing = job.handle
      .then((handle) => writeAt(handle, chunk.records, job.writtenBytes))
      .then(
        () => this.written(job, chunk),
        () => {
          // The disk refused (full?): keep the lines, in order, and try again.
          job.pending = job.pending ? LineChunk.join(chunk, job.pending) : chunk;
          job.writing = null;
          this.closeFile(job);
          job.timer ??= setTimeout(() => this.write(job), WRITE_RETRY_MS);
        },
      );
  }

  private written(job: JobLog, chunk: LineChunk): void {
    const room = job.heldLines === 0 || job.heldBytes + chunk.byteLength <= HELD_BYTES;
    if (job.spill === null && room) this.hold(job, chunk);
    else job.spill ??= { seq: chunk.firstSeq, offset: job.writtenBytes };
    job.written = chunk.lastSeq;
    job.writtenBytes += chunk.byteLength;
    job.writing = null;
    if (
      job.whenRoom.length > 0 &&
      queuedLines(job) <= BACKLOG_LINES / 2 &&
      queuedBytes(job) <= BACKLOG_BYTES / 2
    ) {
      const calls = job.whenRoom;
      job.whenRoom = [];
      for (const fn of calls) fn();
    }
    this.pump(job);
    const pending = queuedLines(job);
    if (writeNow(job) || (job.finished && pending > 0)) this.write(job);
    else if (pending > 0) job.timer ??= setTimeout(() => this.write(job), BATCH_MS);
    this.dropIfDone(job);
  }

  /**
   * Sends held runs after `sent`, in frames; reads spilled runs back when memory allows. A run
   * goes whole: should `sent` fall inside one, the control plane drops the lines it has.
   */
  private pump(job: JobLog): void {
    while (job.sent < job.written) {
      const next = job.sent + 1;
      const chunk = job.held.find((c) => c.lastSeq >= next);
      if (!chunk || chunk.firstSeq > next) {
        this.refill(job);
        return;
      }
      const from = chunk.runOf(next);
      let to = from + 1;
      while (to < chunk.runs && to - from < BATCH_RUNS && chunk.size(from, to + 1) <= BATCH_BYTES)
        to += 1;
      if (!this.sender.sendLogRuns(job.jobId, chunk.frame(job.jobId, from, to))) return;
      job.sent = chunk.lastSeqs[to - 1]!;
    }
    if (job.sent >= job.last && job.whenSent.length > 0) {
      const calls = job.whenSent;
      job.whenSent = [];
      for (const fn of calls) fn();
    }
  }

  /** Reads spilled lines back into memory once at least half the room is free. */
  private refill(job: JobLog): void {
    const spill = job.spill;
    if (!spill || job.refilling) return;
    if (job.heldBytes > HELD_BYTES / 2) return;
    job.refilling = readSpoolRuns(job.file, {
      offset: spill.offset,
      end: job.writtenBytes,
      firstSeq: spill.seq,
    }).then(
      ({ bytes, ends, lastSeqs }) => {
        job.refilling = null;
        if (ends.length > 0) {
          const chunk = LineChunk.of(spill.seq, bytes, ends, lastSeqs);
          spill.seq = chunk.lastSeq + 1;
          spill.offset += chunk.byteLength;
          if (chunk.lastSeq > job.acked) this.hold(job, chunk);
        }
        if (spill.seq > job.written) job.spill = null;
        this.pump(job);
      },
      () => {
        // The file is gone or unreadable; nothing to resend until the next attempt.
        job.refilling = null;
      },
    );
  }

  /** Keeps written lines in memory; chunks come in seq order, after those held. */
  private hold(job: JobLog, chunk: LineChunk): void {
    job.held.push(chunk);
    job.heldLines += chunk.count;
    job.heldBytes += chunk.byteLength;
  }

  private closeFile(job: JobLog): void {
    const handle = job.handle;
    job.handle = null;
    void handle?.then((h) => h.close()).catch(() => undefined);
  }

  /** The current time as a JSON string, made again only when the millisecond changes. */
  private timestamp(): string {
    const at = this.now();
    if (at !== this.#tsAt) {
      this.#tsAt = at;
      this.#tsJson = `"${new Date(at).toISOString()}"`;
    }
    return this.#tsJson;
  }

  private dropIfDone(job: JobLog): void {
    if (!job.finished || job.acked < job.last || job.writing || job.refilling) return;
    if (job.timer) clearTimeout(job.timer);
    this.jobs.delete(job.jobId);
    this.closeFile(job);
    void rm(job.file, { force: true }).catch(() => undefined);
  }

  private job(jobId: string): JobLog {
    let job = this.jobs.get(jobId);
    if (!job) {
      job = newJobLog(jobId, this.fileFor(jobId));
      this.jobs.set(jobId, job);
    }
    return job;
  }

  private fileFor(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.ndjson`);
  }

  /**
   * Picks up spool files left by an earlier run, so their lines are sent again. Their
   * jobs get no new lines (only the restart note), so each file goes once acknowledged.
   */
  private load(): void {
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.ndjson')) continue;
      const jobId = decodeURIComponent(name.slice(0, -'.ndjson'.length));
      const job = this.job(jobId);
      const { lastSeq, bytes } = recoverSpoolFile(job.file);
      job.last = lastSeq;
      job.written = lastSeq;
      job.writtenBytes = bytes;
      job.spill = lastSeq > 0 ? { seq: 1, offset: 0 } : null;
      job.finished = true;
      this.dropIfDone(job);
    }
  }
}
