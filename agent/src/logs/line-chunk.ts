import { LOG_BATCH_END, logRunsStart } from '@berth/protocol';

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * Encoded log runs in one buffer, each a JSON object and a newline: the spool file's
 * format, so a chunk is written as it is. A run holds one or more consecutive lines (see
 * logRunSchema); runs stay bytes from when they are numbered until they are acknowledged,
 * off the JavaScript heap.
 */
export class LineChunk {
  #buffer: Buffer;
  #length = 0;
  /** Where each run ends, after its newline. */
  readonly ends: number[] = [];
  /** The seq of each run's last line. */
  readonly lastSeqs: number[] = [];

  constructor(
    /** The seq of the first line. */
    readonly firstSeq: number,
    capacity = 64 * 1024,
  ) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** Runs read back from a spool file: whole runs, lines from `firstSeq` on. */
  static of(firstSeq: number, bytes: Buffer, ends: number[], lastSeqs: number[]): LineChunk {
    const chunk = new LineChunk(firstSeq, 0);
    chunk.#buffer = bytes;
    chunk.#length = ends.at(-1) ?? 0;
    chunk.ends.push(...ends);
    chunk.lastSeqs.push(...lastSeqs);
    return chunk;
  }

  /** Runs of `first` then `second`, which follows it, in one chunk. */
  static join(first: LineChunk, second: LineChunk): LineChunk {
    const offset = first.byteLength;
    return LineChunk.of(
      first.firstSeq,
      Buffer.concat([first.bytes, second.bytes]),
      [...first.ends, ...second.ends.map((end) => end + offset)],
      [...first.lastSeqs, ...second.lastSeqs],
    );
  }

  /** How many lines the chunk holds. */
  get count(): number {
    return this.lastSeq - this.firstSeq + 1;
  }

  /** How many runs the chunk holds. */
  get runs(): number {
    return this.ends.length;
  }

  get byteLength(): number {
    return this.#length;
  }

  /** The seq of the last line. */
  get lastSeq(): number {
    return this.lastSeqs.at(-1) ?? this.firstSeq - 1;
  }

  /** The bytes of every run, as the spool file holds them. */
  get bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  /** Adds a run's JSON, which holds `lines` lines. */
  push(json: string, lines: number): void {
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
    this.lastSeqs.push(this.lastSeq + lines);
  }

  /** The index of the run that holds line `seq`: the first whose last line is not before it. */
  runOf(seq: number): number {
    let low = 0;
    let high = this.lastSeqs.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.lastSeqs[middle]! < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Where run `index` starts. */
  start(index: number): number {
    return index === 0 ? 0 : this.ends[index - 1]!;
  }

  /** Bytes of runs `from` to `to` (exclusive), newlines included. */
  size(from: number, to: number): number {
    return this.ends[to - 1]! - this.start(from);
  }

  /** A `log.runs` frame of runs `from` to `to` (exclusive): their bytes, commas for newlines. */
  frame(jobId: string, from: number, to: number): Buffer {
    const head = Buffer.from(logRunsStart(jobId));
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
