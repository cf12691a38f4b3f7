import { MAX_LOG_LINE_BYTES } from '@berth/protocol';
import { LineSplitter, type SplitLine } from '../logs/line-splitter.js';
import type { OutputText } from './engine.js';

const RUNNING_IN = /^ ---> Running in ([0-9a-f]+)\n$/;
/** The engine wraps each write a RUN step makes to stderr in red: ESC[91m … ESC[0m. */
const RED = '\u001b[91m';
const RESET = '\u001b[0m';

/**
 * The classic builder's `stream` events, turned into whole lines. The engine cuts a
 * step's output into events anywhere, so lines are joined across events, stdout and
 * stderr apart (the engine marks each stderr write by colouring it red, and the two
 * interleave freely). Each stderr line, or part, keeps its red colour, closed on the
 * line itself. A RUN step's output sits between " ---> Running in <id>" and "Removing
 * intermediate container <id>"; a last line without a newline ends where the step ends,
 * instead of being glued to the engine's next message.
 */
export class BuildOutput {
  readonly #stdout: LineSplitter;
  readonly #stderr: LineSplitter;
  #runningId: string | null = null;

  constructor(private readonly onLine: (line: OutputText) => void) {
    const emit = (text: string, line: SplitLine) =>
      onLine(line.continued ? { text, continued: true } : { text });
    this.#stdout = new LineSplitter((line) => emit(line.text, line));
    this.#stderr = new LineSplitter(
      (line) => emit(`${RED}${line.text}${RESET}`, line),
      MAX_LOG_LINE_BYTES - RED.length - RESET.length,
    );
  }

  /** The text of one `stream` event. */
  push(event: string): void {
    if (
      event.length >= RED.length + RESET.length &&
      event.startsWith(RED) &&
      event.endsWith(RESET)
    ) {
      this.#stderr.push(event.slice(RED.length, -RESET.length));
      return;
    }
    if (
      this.#runningId !== null &&
      event === `Removing intermediate container ${this.#runningId}\n`
    ) {
      this.#breakLines();
      this.#runningId = null;
    }
    this.#stdout.push(event);
    const running = RUNNING_IN.exec(event);
    if (running) this.#runningId = running[1] ?? null;
  }

  /** A whole message of its own (a pull status, an error): ends any open line first. */
  message(text: string): void {
    this.#breakLines();
    this.#stdout.push(`${text}\n`);
  }

  end(): void {
    this.#stderr.end();
    this.#stdout.end();
  }

  #breakLines(): void {
    this.#stderr.breakLine();
    this.#stdout.breakLine();
  }
}
