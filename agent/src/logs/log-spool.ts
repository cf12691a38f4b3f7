import { mkdirSync, readdirSync } from 'node:fs';
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentMessageInput, LogLine, LogStream } from '@berth/protocol';
import { cutIndex } from './line-splitter.js';
import { readSpoolLines, recoverSpoolFile, type StoredLine } from './spool-file.js';

/** Most lines in one `log.batch` frame. */
export const BATCH_LINES = 1000;
/**
 * Most bytes of lines in one frame. The control plane accepts frames up to 1 MiB
 * (MAX_FRAME_BYTES); the longest line, 16 KiB of control characters escaped, is under 100 KiB.
 */
export const BATCH_BYTES = 512 * 1024;
/** A line waits at most this long before it is written and sent, in milliseconds. */
export const BATCH_MS = 50;
/**
 * Written, unacknowledged lines held in memory per job; later ones are read back from
 * the spool file when their turn comes. This also bounds the lines in flight.
 */
export const HELD_LINES = 10_000;
export const HELD_BYTES = 4 * 1024 * 1024;
/** Retry delay after a failed spool write, in milliseconds. */
const WRITE_RETRY_MS = 1_000;

export interface LogSender {
  /** Returns false when the socket is not open; the lines stay spooled. */
  send(message: AgentMessageInput): boolean;
}

interface Pending {
  line: LogLine;
  json: string;
}

interface JobLog {
  jobId: string;
  file: string;
  /** Highest sequence number given out. */
  last: number;
  /** Highest sequence number in the spool file, and the file's size then. */
  written: number;
  writtenBytes: number;
  /** Highest sequence number the control plane has stored. */
  acked: number;
  /** Highest sequence number sent on the current connection. */
  sent: number;
  /** Numbered lines waiting for the next write (seq written+1..last). */
  pending: Pending[];
  /** Written lines after `acked`, in order, from index `heldHead`. */
  held: StoredLine[];
  heldHead: number;
  heldBytes: number;
  /** The first written line not held in memory, and where it starts in the file. */
  spill: { seq: number; offset: number } | null;
  writing: Promise<void> | null;
  refilling: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** No more lines will come; the file goes once all are acknowledged. */
  finished: boolean;
  /** Called once every line given out so far has been sent on this connection. */
  whenSent: (() => void)[];
}

/**
 * Every line of a job gets the next sequence number (from 1, no gaps). Lines are
 * gathered for up to BATCH_MS (or BATCH_LINES), appended to the job's spool file in
 * one write, and only then sent, in frames of up to BATCH_LINES. They stay in the
 * file until the control plane acknowledges them; after a reconnect the rest is
 * sent again. Memory holds at most HELD_LINES written lines per job.
 */
export class LogSpool {
  private readonly jobs = new Map<string, JobLog>();

  constructor(
    private readonly dir: string,
    private readonly sender: LogSender,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.load();
  }

  /**
   * Numbers and queues a line. Text longer than MAX_LOG_LINE_BYTES becomes several
   * lines, the later ones `continued`. Returns the (last) line.
   */
  append(jobId: string, stream: LogStream, text: string, continued = false): LogLine {
    const job = this.job(jobId);
    const ts = this.now().toISOString();
    let rest = text;
    let part = continued;
    let line: LogLine;
    do {
      const cut = cutIndex(rest);
      const piece = cut === null ? rest : rest.slice(0, cut);
      rest = cut === null ? '' : rest.slice(cut);
      job.last += 1;
      line = { seq: job.last, ts, stream, text: piece, ...(part ? { continued: true } : {}) };
      job.pending.push({ line, json: `${JSON.stringify(line)}\n` });
      part = true;
    } while (rest !== '');
    if (job.pending.length >= BATCH_LINES) this.write(job);
    else job.timer ??= setTimeout(() => this.write(job), BATCH_MS);
    return line;
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
    while (job.heldHead < job.held.length && job.held[job.heldHead]!.line.seq <= job.acked) {
      job.heldBytes -= job.held[job.heldHead]!.bytes;
      job.heldHead += 1;
    }
    if (job.heldHead > 1024 && job.heldHead * 2 > job.held.length) {
      job.held = job.held.slice(job.heldHead);
      job.heldHead = 0;
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

  /** Lines held in memory (queued or written, not acknowledged), over all jobs. */
  get heldLines(): number {
    let total = 0;
    for (const job of this.jobs.values())
      total += job.pending.length + job.held.length - job.heldHead;
    return total;
  }

  /** Writes everything queued now and resolves once it is written and sent as far as it can be. */
  async flush(): Promise<void> {
    for (;;) {
      const busy: Promise<void>[] = [];
      for (const job of this.jobs.values()) {
        if (job.pending.length > 0 && !job.writing) this.write(job);
        if (job.writing) busy.push(job.writing);
        if (job.refilling) busy.push(job.refilling);
      }
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Appends the queued lines in one write, then sends them. One write per job at a time. */
  private write(job: JobLog): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    if (job.writing || job.pending.length === 0) return;
    const batch = job.pending;
    job.pending = [];
    const data = batch.map((p) => p.json).join('');
    job.writing = appendFile(job.file, data, { mode: 0o600 }).then(
      () => this.written(job, batch),
      () => {
        // The disk refused (full?): keep the lines, in order, and try again.
        job.pending = batch.concat(job.pending);
        job.writing = null;
        job.timer ??= setTimeout(() => this.write(job), WRITE_RETRY_MS);
      },
    );
  }

  private written(job: JobLog, batch: Pending[]): void {
    let offset = job.writtenBytes;
    for (const { line, json } of batch) {
      const bytes = Buffer.byteLength(json);
      const room =
        job.held.length - job.heldHead < HELD_LINES && job.heldBytes + bytes <= HELD_BYTES;
      if (job.spill === null && room) {
        job.held.push({ line, bytes });
        job.heldBytes += bytes;
      } else {
        job.spill ??= { seq: line.seq, offset };
      }
      offset += bytes;
      job.written = line.seq;
    }
    job.writtenBytes = offset;
    job.writing = null;
    this.pump(job);
    if (job.pending.length >= BATCH_LINES || (job.finished && job.pending.length > 0))
      this.write(job);
    else if (job.pending.length > 0) job.timer ??= setTimeout(() => this.write(job), BATCH_MS);
    this.dropIfDone(job);
  }

  /** Sends held lines after `sent`, in frames; reads spilled lines back when memory allows. */
  private pump(job: JobLog): void {
    while (job.sent < job.written) {
      const first = job.held[job.heldHead]?.line.seq;
      const from = first === undefined ? -1 : job.heldHead + (job.sent + 1 - first);
      if (first === undefined || from >= job.held.length) {
        this.refill(job);
        return;
      }
      const lines: LogLine[] = [];
      let bytes = 0;
      for (let i = from; i < job.held.length && lines.length < BATCH_LINES; i += 1) {
        const held = job.held[i]!;
        if (lines.length > 0 && bytes + held.bytes > BATCH_BYTES) break;
        lines.push(held.line);
        bytes += held.bytes;
      }
      if (!this.sender.send({ type: 'log.batch', jobId: job.jobId, lines })) return;
      job.sent = lines[lines.length - 1]!.seq;
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
    const room = HELD_LINES - (job.held.length - job.heldHead);
    if (room < HELD_LINES / 2 || job.heldBytes > HELD_BYTES / 2) return;
    job.refilling = readSpoolLines(job.file, {
      offset: spill.offset,
      end: job.writtenBytes,
      maxLines: room,
    }).then(
      (lines) => {
        job.refilling = null;
        for (const stored of lines) {
          spill.seq = stored.line.seq + 1;
          spill.offset += stored.bytes;
          if (stored.line.seq <= job.acked) continue;
          job.held.push(stored);
          job.heldBytes += stored.bytes;
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

  private dropIfDone(job: JobLog): void {
    if (!job.finished || job.acked < job.last || job.writing || job.refilling) return;
    if (job.timer) clearTimeout(job.timer);
    this.jobs.delete(job.jobId);
    void rm(job.file, { force: true }).catch(() => undefined);
  }

  private job(jobId: string): JobLog {
    let job = this.jobs.get(jobId);
    if (!job) {
      job = {
        jobId,
        file: this.fileFor(jobId),
        last: 0,
        written: 0,
        writtenBytes: 0,
        acked: 0,
        sent: 0,
        pending: [],
        held: [],
        heldHead: 0,
        heldBytes: 0,
        spill: null,
        writing: null,
        refilling: null,
        timer: null,
        finished: false,
        whenSent: [],
      };
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
