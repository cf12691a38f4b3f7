/** Longest line kept whole, in characters; longer lines are cut and marked. */
export const MAX_LINE_CHARS = 16_384;

/**
 * Turns a stream of text chunks into whole lines. A carriage return (progress
 * bars) ends a line too, so a redrawn line is not glued to the next one.
 */
export class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    const parts = this.pending.split(/\r\n|\n|\r/);
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.emit(part);
    if (this.pending.length > MAX_LINE_CHARS) {
      this.emit(this.pending);
      this.pending = '';
    }
  }

  /** Emits what is left after the last newline. */
  end(): void {
    if (this.pending.length > 0) this.emit(this.pending);
    this.pending = '';
  }

  private emit(line: string): void {
    this.onLine(
      line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} [line cut]` : line,
    );
  }
}
