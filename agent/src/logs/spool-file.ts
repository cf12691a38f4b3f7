import { closeSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { logRunSchema, runLineCount } from '@berth/protocol';

/** How much of a spool file is read at once, in bytes; far above the longest line. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Checks a spool file left by an earlier run: runs of lines numbered 1, 2, 3… up to the
 * first run that is torn (a crash mid-write) or out of order. The file is cut there, so the
 * next run appended starts clean. Reads in chunks; the runs are not kept.
 */
export function recoverSpoolFile(path: string): { lastSeq: number; bytes: number } {
  const fd = openSync(path, 'r+');
  try {
    let lastSeq = 0;
    let good = 0; // bytes up to the end of the last good line
    let position = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK_BYTES);
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      position += read;
      const data = Buffer.concat([carry, chunk.subarray(0, read)]);
      let start = 0;
      for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
        const run = parseRun(data.toString('utf8', start, end));
        if (run?.seq !== lastSeq + 1) {
          ftruncateSync(fd, good);
          return { lastSeq, bytes: good };
        }
        lastSeq = run.lastSeq;
        good += end + 1 - start;
        start = end + 1;
      }
      carry = data.subarray(start);
    }
    if (carry.length > 0) ftruncateSync(fd, good);
    return { lastSeq, bytes: good };
  } finally {
    closeSync(fd);
  }
}

/** A stored run's first and last seq, or null when it is torn or not a run. */
function parseRun(raw: string): { seq: number; lastSeq: number } | null {
  try {
    const parsed = logRunSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    return { seq: parsed.data.seq, lastSeq: parsed.data.seq + runLineCount(parsed.data.text) - 1 };
  } catch {
    return null;
  }
}

/**
 * Reads whole runs from `offset` up to `end` (a run boundary), the first of them starting
 * at line `firstSeq`, about READ_CHUNK_BYTES of them: their bytes, where each run ends (after
 * its newline) in them, and each run's last seq. The file was checked when it was opened
 * (recoverSpoolFile) or was written by this run; reading stops at anything else.
 */
export async function readSpoolRuns(
  path: string,
  range: { offset: number; end: number; firstSeq: number },
): Promise<{ bytes: Buffer; ends: number[]; lastSeqs: number[] }> {
  const length = Math.min(READ_CHUNK_BYTES, range.end - range.offset);
  if (length <= 0) return { bytes: Buffer.alloc(0), ends: [], lastSeqs: [] };
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, range.offset);
    const ends: number[] = [];
    const lastSeqs: number[] = [];
    let expected = range.firstSeq;
    for (
      let end = buffer.indexOf(10, 0);
      end !== -1 && end < bytesRead;
      end = buffer.indexOf(10, end + 1)
    ) {
      const run = parseRun(buffer.toString('utf8', ends.at(-1) ?? 0, end));
      if (run?.seq !== expected) break;
      ends.push(end + 1);
      lastSeqs.push(run.lastSeq);
      expected = run.lastSeq + 1;
    }
    return { bytes: buffer.subarray(0, ends.at(-1) ?? 0), ends, lastSeqs };
  } finally {
    await handle.close();
  }
}

/** Writes all of `buffers`, one after another, at `position`, however many calls it takes. */
export async function writeAt(
  handle: FileHandle,
  buffers: readonly Buffer[],
  position: number,
): Promise<void> {
  let rest = buffers.filter((buffer) => buffer.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    // Drop what was written; a buffer written in part goes on from where the write stopped.
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const buffer of rest) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        next.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    rest = next;
  }
}
