/** How long no job may have run before the heap is collected, in milliseconds. */
export const IDLE_COLLECT_DELAY_MS = 10_000;

export interface IdleCollectorOptions {
  /** One full garbage collection. */
  collect: () => void;
  /** True while jobs run. */
  busy: () => boolean;
  delayMs?: number;
}

/**
 * Collects the heap once no job has run for a while. A burst of jobs grows V8's heap, and V8
 * gives the room back only at a later full collection, which an idle agent may not reach for
 * hours: it would sit megabytes higher until then. One collection of a 13 MB heap costs
 * 25–35 ms of CPU, once per burst.
 */
export class IdleCollector {
  readonly #options: IdleCollectorOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: IdleCollectorOptions) {
    this.#options = options;
  }

  /** A job ended: collect once `delayMs` pass with no job running; another end waits anew. */
  jobEnded(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A job still running ends later, and calls this again.
      if (!this.#options.busy()) this.#options.collect();
    }, this.#options.delayMs ?? IDLE_COLLECT_DELAY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** V8's full collection when the process runs with `--expose-gc` (the agent's unit does), or null. */
export function exposedCollection(): (() => void) | null {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => (gc as () => void)() : null;
}
