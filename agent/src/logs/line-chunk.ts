import { LOG_BATCH_END, logBatchStart } from '@berth/protocol';

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * Encoded log lines in one buffer, each a JSON object and a newline: the spool file's
 * format, so a chunk is written as it is. Lines stay bytes from when they are numbered
 * until they are acknowledged, off the JavaScript heap.
 */
export class LineChunk {
  #buffer: Buffer;
  #length = 0;
  /** Where each line ends, after its newline. */
  readonly ends: number[] = [];

  constructor(
    /** The seq of the first line. */
    readonly firstSeq: number,
    capacity = 64 * 1024,
  ) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** Lines read back from a spool file: whole lines, seqs from `firstSeq` on. */
  static of(firstSeq: number, bytes: Buffer, ends: number[]): LineChunk {
    const chunk = new LineChunk(firstSeq, 0);
    chunk.#buffer = bytes;
    chunk.#length = ends.at(-1) ?? 0;
    chunk.ends.push(...ends);
    return chunk;
  }

  /** Lines of `first` then `second`, which follows it, in one chunk. */
  static join(first: LineChunk, second: LineChunk): LineChunk {
    const offset = first.byteLength;
    return LineChunk.of(first.firstSeq, Buffer.concat([first.bytes, second.bytes]), [
      ...first.ends,
      ...second.ends.map((end) => end + offset),
    ]);
  }

  get count(): number {
    return this.ends.length;
  }

  get byteLength(): number {
    return this.#length;
  }

  /** The seq of the last line. */
  get lastSeq(): number {
    return this.firstSeq + this.ends.length - 1;
  }

  /** The bytes of every line, as the spool file holds them. */
  get bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Adds a line's JSON. */
  push(json: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = json.length * 3 + 1;
    if (this.#length + most > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + most));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(json, this.#length, 'utf8');
    this.#buffer[this.#length++] = NEWLINE;
    this.ends.push(this.#length);
  }

  /** Where line `index` starts. */
  start(index: number): number {
    return index === 0 ? 0 : this.ends[index - 1]!;
  }

  /** Bytes of lines `from` to `to` (exclusive), newlines included. */
  size(from: number, to: number): number {
    return this.ends[to - 1]! - this.start(from);
  }

  /** A `log.batch` frame of lines `from` to `to` (exclusive): their bytes, commas for newlines. */
  frame(jobId: string, from: number, to: number): Buffer {
    const head = Buffer.from(logBatchStart(jobId));
    const start = this.start(from);
    const body = this.ends[to - 1]! - start;
    const frame = Buffer.allocUnsafe(head.length + body - 1 + LOG_BATCH_END.length);
    head.copy(frame, 0);
    this.#buffer.copy(frame, head.length, start, start + body);
    for (let i = from; i < to - 1; i += 1) frame[head.length + this.ends[i]! - 1 - start] = COMMA;
    frame.write(LOG_BATCH_END, head.length + body - 1, 'latin1');
    return frame;
  }
}
