import type { FileHandle } from 'node:fs/promises';

/** Bytes read at a time when a file is read from its end. */
export const BACKWARD_CHUNK_BYTES = 64 * 1024;

export interface BackwardLine {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's last byte (its newline, or the end of the file). */
  end: number;
}

/**
 * The lines of a file that end at or before `end`, last first, reading `chunkBytes` at a time,
 * so a reader of the newest lines never reads the whole file. Empty lines are skipped; a last
 * piece without its newline is yielded too (the caller decides whether it is torn). Lines are
 * cut on the byte 0x0a, which never occurs inside a UTF-8 sequence, and decoded one by one.
 */
export async function* linesBackward(
  handle: FileHandle,
  end: number,
  chunkBytes = BACKWARD_CHUNK_BYTES,
): AsyncGenerator<BackwardLine> {
  let position = end;
  // The bytes of a line whose start lies in an earlier chunk.
  let carry = Buffer.alloc(0);
  while (position > 0) {
    const start = Math.max(0, position - chunkBytes);
    const chunk = Buffer.alloc(position - start);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, start);
    const block = carry.length > 0 ? Buffer.concat([chunk.subarray(0, bytesRead), carry]) : chunk;
    let lineEnd = block.length;
    for (let nl = block.lastIndexOf(0x0a, lineEnd - 1); nl !== -1;) {
      if (lineEnd > nl + 1) {
        yield {
          text: block.toString('utf8', nl + 1, lineEnd),
          offset: start + nl + 1,
          end: start + lineEnd,
        };
      }
      lineEnd = nl;
      nl = nl === 0 ? -1 : block.lastIndexOf(0x0a, nl - 1);
    }
    carry = Buffer.from(block.subarray(0, lineEnd));
    position = start;
  }
  if (carry.length > 0) yield { text: carry.toString('utf8'), offset: 0, end: carry.length };
}

/**
 * Where a backward read for the lines before the first line whose key reaches `bound` can start:
 * a line start at or after that line, found by bisecting byte offsets, as keys (seqs) only grow
 * along the file. Falls back to a wider range when a probe cannot read a whole line.
 */
export async function lineStartBefore(options: {
  handle: FileHandle;
  size: number;
  bound: number;
  keyOf: (line: string) => number | null;
  chunkBytes?: number;
}): Promise<number> {
  const { handle, bound, keyOf } = options;
  const chunkBytes = options.chunkBytes ?? BACKWARD_CHUNK_BYTES;
  const buffer = Buffer.alloc(chunkBytes);
  let low = 0;
  let high = options.size;
  while (high - low > chunkBytes) {
    const middle = Math.floor((low + high) / 2);
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, middle);
    const first = buffer.indexOf(0x0a);
    const next = first === -1 ? -1 : buffer.indexOf(0x0a, first + 1);
    if (next === -1 || next >= bytesRead) return high;
    const start = middle + first + 1;
    const key = keyOf(buffer.toString('utf8', first + 1, next));
    if (key === null || start >= high) return high;
    if (key < bound) low = start;
    else high = start;
  }
  return high;
}
