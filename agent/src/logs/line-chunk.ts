import { LOG_BATCH_END, logRunsStart } from '@berth/protocol';

const COMMA = 0x2c;

/**
 * Encoded log runs, each a JSON object and a newline in a buffer of its own: the spool
 * file's format, so a chunk is written as it is (one gathered write). A run holds one or
 * more consecutive lines (see logRunSchema); runs stay bytes from when they are numbered
 * until they are acknowledged, off the JavaScript heap, and are never copied to grow a
 * buffer.
 */
export class LineChunk {
  /** Each run's bytes, its newline included. */
  readonly records: Buffer[] = [];
  /** Where each run ends in the chunk, after its newline. */
  readonly ends: number[] = [];
  /** The seq of each run's last line. */
  readonly lastSeqs: number[] = [];

  constructor(
    /** The seq of the first line. */
    readonly firstSeq: number,
  ) {}

  /** Runs read back from a spool file: whole runs, lines from `firstSeq` on. */
  static of(firstSeq: number, bytes: Buffer, ends: number[], lastSeqs: number[]): LineChunk {
    const chunk = new LineChunk(firstSeq);
    ends.forEach((end, i) => chunk.add(bytes.subarray(ends[i - 1] ?? 0, end), lastSeqs[i]!));
    return chunk;
  }

  /** Runs of `first` then `second`, which follows it, in one chunk. */
  static join(first: LineChunk, second: LineChunk): LineChunk {
    const chunk = new LineChunk(first.firstSeq);
    for (const part of [first, second]) {
      part.records.forEach((record, i) => chunk.add(record, part.lastSeqs[i]!));
    }
    return chunk;
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
    return this.ends.at(-1) ?? 0;
  }

  /** The seq of the last line. */
  get lastSeq(): number {
    return this.lastSeqs.at(-1) ?? this.firstSeq - 1;
  }

  /** Adds a run's JSON, which holds `lines` lines. */
  push(json: string, lines: number): void {
    this.add(Buffer.from(`${json}\n`, 'utf8'), this.lastSeq + lines);
  }

  /** Adds a run's bytes, its newline included, whose last line is `lastSeq`. */
  private add(record: Buffer, lastSeq: number): void {
    this.records.push(record);
    this.ends.push(this.byteLength + record.length);
    this.lastSeqs.push(lastSeq);
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
    const head = logRunsStart(jobId);
    const frame = Buffer.allocUnsafe(
      Buffer.byteLength(head) + this.size(from, to) - 1 + LOG_BATCH_END.length,
    );
    let at = frame.write(head, 0, 'utf8');
    for (let i = from; i < to; i += 1) {
      at += this.records[i]!.copy(frame, at);
      frame[at - 1] = COMMA;
    }
    frame.write(LOG_BATCH_END, at - 1, 'latin1');
    return frame;
  }
}
