import { LineSplitter } from '../logs/line-splitter.js';
import type { OutputText } from '../jobs/engine.js';

const RUNNING_IN = /^ ---> Running in ([0-9a-f]+)\n$/;

/**
 * The classic builder's `stream` events, turned into whole lines. The engine cuts a
 * step's output into events anywhere, so the text is split across events. A RUN step's
 * output sits between " ---> Running in <id>" and "Removing intermediate container <id>";
 * when the step's last line has no newline, the engine's next message would be glued
 * to it, so the line ends where the step ends.
 */
export class BuildOutput {
  readonly #splitter: LineSplitter;
  #runningId: string | null = null;

  constructor(private readonly onLine: (line: OutputText) => void) {
    this.#splitter = new LineSplitter((line) =>
      onLine(line.continued ? { text: line.text, continued: true } : { text: line.text }),
    );
  }

  /** The text of one `stream` event. */
  push(text: string): void {
    if (
      this.#runningId !== null &&
      text === `Removing intermediate container ${this.#runningId}\n`
    ) {
      this.#splitter.breakLine();
      this.#runningId = null;
    }
    this.#splitter.push(text);
    const running = RUNNING_IN.exec(text);
    if (running) this.#runningId = running[1] ?? null;
  }

  /** A whole message of its own (a pull status, an error): ends any open line first. */
  message(text: string): void {
    this.#splitter.breakLine();
    this.#splitter.push(`${text}\n`);
  }

  end(): void {
    this.#splitter.end();
  }
}
