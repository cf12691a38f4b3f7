import { closeSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { logLineSchema } from '@berth/protocol';

/** How much of a spool file is read at once, in bytes; far above the longest line. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Checks a spool file left by an earlier run: lines numbered 1, 2, 3… up to the first
 * line that is torn (a crash mid-write) or out of order. The file is cut there, so the
 * next line appended starts clean. Reads in chunks; the lines are not kept.
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
        const seq = parseSeq(data.toString('utf8', start, end));
        if (seq !== lastSeq + 1) {
          ftruncateSync(fd, good);
          return { lastSeq, bytes: good };
        }
        lastSeq = seq;
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

function parseSeq(raw: string): number | null {
  try {
    const parsed = logLineSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data.seq : null;
  } catch {
    return null;
  }
}

/**
 * Reads whole lines from `offset` up to `end` (a line boundary), at most `maxLines`
 * and about READ_CHUNK_BYTES of them: their bytes, and where each line ends (after its
 * newline) in them. The file was checked when it was opened (recoverSpoolFile) or was
 * written by this run.
 */
export async function readSpoolLines(
  path: string,
  range: { offset: number; end: number; maxLines: number },
): Promise<{ bytes: Buffer; ends: number[] }> {
  const length = Math.min(READ_CHUNK_BYTES, range.end - range.offset);
  if (length <= 0) return { bytes: Buffer.alloc(0), ends: [] };
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await handle.read(buffer, 0, length, range.offset);
    const ends: number[] = [];
    for (
      let end = buffer.indexOf(10, 0);
      end !== -1 && end < bytesRead && ends.length < range.maxLines;
      end = buffer.indexOf(10, end + 1)
    ) {
      ends.push(end + 1);
    }
    return { bytes: buffer.subarray(0, ends.at(-1) ?? 0), ends };
  } finally {
    await handle.close();
  }
}

/** Writes all of `data` at `position`, however many calls the system takes. */
export async function writeAt(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
