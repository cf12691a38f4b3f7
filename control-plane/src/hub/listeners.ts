import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

/** A typed set of callbacks. A throwing listener is logged and never reaches the socket code. */
export class Listeners<Args extends unknown[]> {
  readonly #listeners = new Set<(...args: Args) => void | Promise<void>>();
  readonly #name: string;
  readonly #log: Logger;

  constructor(name: string, log: Logger) {
    this.#name = name;
    this.#log = log;
  }

  add(listener: (...args: Args) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(...args: Args): void {
    for (const listener of this.#listeners) {
      try {
        const result = listener(...args);
        // An async listener's failure is logged the same way, never left unhandled.
        if (result instanceof Promise) {
          result.catch((err: unknown) =>
            this.#log.error(`${this.#name} listener failed: ${describeError(err)}`),
          );
        }
      } catch (err) {
        this.#log.error(`${this.#name} listener failed: ${describeError(err)}`);
      }
    }
  }
}
