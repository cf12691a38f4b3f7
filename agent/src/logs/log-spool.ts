import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  logLineSchema,
  type AgentMessageInput,
  type LogLine,
  type LogStream,
} from '@berth/protocol';

/** Lines per `log.batch` frame; keeps frames far below the size limit. */
const BATCH_LINES = 500;

export interface LogSender {
  /** Returns false when the socket is not open; the lines stay spooled. */
  send(message: AgentMessageInput): boolean;
}

interface JobLog {
  jobId: string;
  file: string;
  lines: LogLine[];
  /** Highest sequence number the control plane has stored. */
  acked: number;
  /** Highest sequence number sent on the current connection. */
  sent: number;
  finished: boolean;
}

/**
 * Every line of a job gets the next sequence number (from 1, no gaps) and is
 * appended to a spool file before it is sent. Lines stay spooled until the
 * control plane acknowledges them; after a reconnect the rest is sent again.
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

  append(jobId: string, stream: LogStream, text: string): LogLine {
    const job = this.job(jobId);
    const line: LogLine = { seq: job.lines.length + 1, ts: this.now().toISOString(), stream, text };
    appendFileSync(job.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    job.lines.push(line);
    this.flush(job);
    return line;
  }

  /** The highest sequence number written for a job so far. */
  lastSeq(jobId: string): number {
    return this.jobs.get(jobId)?.lines.length ?? 0;
  }

  /** No more lines will come; the spool file goes once everything is acknowledged. */
  finish(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.finished = true;
    this.dropIfDone(job);
  }

  ack(jobId: string, seq: number): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.acked = Math.max(job.acked, Math.min(seq, job.lines.length));
    this.dropIfDone(job);
  }

  /** After a (re)connect: send again everything not acknowledged. */
  resendAll(): void {
    for (const job of this.jobs.values()) {
      job.sent = job.acked;
      this.flush(job);
    }
  }

  /** Lines not yet acknowledged, over all jobs. */
  get pendingLines(): number {
    let total = 0;
    for (const job of this.jobs.values()) total += job.lines.length - job.acked;
    return total;
  }

  private flush(job: JobLog): void {
    while (job.sent < job.lines.length) {
      const lines = job.lines.slice(job.sent, job.sent + BATCH_LINES);
      if (!this.sender.send({ type: 'log.batch', jobId: job.jobId, lines })) return;
      job.sent += lines.length;
    }
  }

  private dropIfDone(job: JobLog): void {
    if (job.finished && job.acked >= job.lines.length) {
      rmSync(job.file, { force: true });
      this.jobs.delete(job.jobId);
    }
  }

  private job(jobId: string): JobLog {
    let job = this.jobs.get(jobId);
    if (!job) {
      job = { jobId, file: this.fileFor(jobId), lines: [], acked: 0, sent: 0, finished: false };
      this.jobs.set(jobId, job);
    }
    return job;
  }

  private fileFor(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.ndjson`);
  }

  /** Reads spool files left by an earlier run, so their lines are sent again. */
  private load(): void {
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.ndjson')) continue;
      const jobId = decodeURIComponent(name.slice(0, -'.ndjson'.length));
      const job = this.job(jobId);
      for (const raw of readFileSync(join(this.dir, name), 'utf8').split('\n')) {
        if (!raw) continue;
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          continue; // a torn last line from a crash: the line was never sent, drop it
        }
        const parsed = logLineSchema.safeParse(value);
        if (parsed.success && parsed.data.seq === job.lines.length + 1) job.lines.push(parsed.data);
      }
    }
  }
}
