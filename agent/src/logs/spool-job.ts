import type { FileHandle } from 'node:fs/promises';
import { encodeLogLine, type LogStream } from '@berth/protocol';
import { LineChunk } from './line-chunk.js';

/** A job's log as the spool keeps it, and how many lines and bytes it may hold. */

/**
 * Lines, or bytes, waiting to be written at which they are written without waiting for
 * BATCH_MS.
 */
export const BATCH_LINES = 10_000;
export const WRITE_BYTES = 256 * 1024;
/** Most runs in one `log.runs` frame (the control plane takes up to 5,000). */
export const BATCH_RUNS = 1000;
/**
 * Most bytes of runs in one frame. The control plane accepts frames up to 1 MiB
 * (MAX_FRAME_BYTES); the longest run, RUN_CHARS of control characters escaped, is 384 KiB.
 */
export const BATCH_BYTES = 512 * 1024;
/**
 * Most UTF-16 code units of text in one run; a run that would grow past it is closed and the
 * line starts the next one. Lines themselves are at most MAX_LOG_LINE_BYTES.
 */
export const RUN_CHARS = 64 * 1024;
/** A line waits at most this long before it is written and sent, in milliseconds. */
export const BATCH_MS = 50;
/**
 * Bytes of written, unacknowledged lines held in memory per job; later ones are read back
 * from the spool file when their turn comes. This also bounds the lines in flight.
 */
export const HELD_BYTES = 4 * 1024 * 1024;
/**
 * Numbered lines waiting to be written, per job, beyond which the job's output should
 * wait ({@link LogSpool.room}): a build printing faster than the disk takes it is
 * slowed down rather than held in memory.
 */
export const BACKLOG_LINES = 16 * BATCH_LINES;
export const BACKLOG_BYTES = 2 * 1024 * 1024;

/** The run being gathered: lines of one stream printed within one millisecond. */
export interface OpenRun {
  firstSeq: number;
  count: number;
  stream: LogStream;
  tsJson: string;
  text: string;
  continued: boolean;
}

export interface JobLog {
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
  /** Numbered runs waiting for the next write, and the run still gathering lines after them. */
  pending: LineChunk | null;
  run: OpenRun | null;
  /** Written lines, in order, from the first chunk not wholly acknowledged. */
  held: LineChunk[];
  heldLines: number;
  heldBytes: number;
  /** The first written line not held in memory, and where it starts in the file. */
  spill: { seq: number; offset: number } | null;
  /** The spool file, open for writing from the first write until the job is done. */
  handle: Promise<FileHandle> | null;
  writing: Promise<void> | null;
  refilling: Promise<void> | null;
  /** Called once the backlog is down to half of BACKLOG_LINES. */
  whenRoom: (() => void)[];
  timer: NodeJS.Timeout | null;
  /** No more lines will come; the file goes once all are acknowledged. */
  finished: boolean;
  /** Called once every line given out so far has been sent on this connection. */
  whenSent: (() => void)[];
}

/** A job's log with nothing numbered yet. */
export function newJobLog(jobId: string, file: string): JobLog {
  return {
    jobId,
    file,
    last: 0,
    written: 0,
    writtenBytes: 0,
    acked: 0,
    sent: 0,
    pending: null,
    run: null,
    held: [],
    heldLines: 0,
    heldBytes: 0,
    spill: null,
    handle: null,
    writing: null,
    refilling: null,
    whenRoom: [],
    timer: null,
    finished: false,
    whenSent: [],
  };
}

/** Adds line `job.last` to the open run, or closes that run and opens one with it. */
export function gatherLine(
  job: JobLog,
  stream: LogStream,
  tsJson: string,
  text: string,
  continued: boolean,
): void {
  const run = job.run;
  if (
    run &&
    !continued &&
    !run.continued &&
    run.stream === stream &&
    run.tsJson === tsJson &&
    run.text.length + text.length < RUN_CHARS
  ) {
    run.text += `\n${text}`;
    run.count += 1;
    return;
  }
  closeRun(job);
  job.run = { firstSeq: job.last, count: 1, stream, tsJson, text, continued };
}

/** Encodes the open run into the chunk waiting to be written. */
export function closeRun(job: JobLog): void {
  const run = job.run;
  if (!run) return;
  job.run = null;
  job.pending ??= new LineChunk(run.firstSeq);
  job.pending.push(
    encodeLogLine(run.firstSeq, run.tsJson, run.stream, run.text, run.continued),
    run.count,
  );
}

/** Numbered lines not yet handed to a write: the waiting chunk's and the open run's. */
export function queuedLines(job: JobLog): number {
  return (job.pending?.count ?? 0) + (job.run?.count ?? 0);
}

/** About the bytes of the lines not yet handed to a write (the open run's in code units). */
export function queuedBytes(job: JobLog): number {
  return (job.pending?.byteLength ?? 0) + (job.run?.text.length ?? 0);
}

/** Enough is queued to write it without waiting for BATCH_MS. */
export function writeNow(job: JobLog): boolean {
  return queuedLines(job) >= BATCH_LINES || queuedBytes(job) >= WRITE_BYTES;
}
