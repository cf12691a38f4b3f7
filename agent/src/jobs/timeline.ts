import type { DeploymentPhase } from '@berth/protocol';

/**
 * The agent's part of a deployment's timeline: one phase runs at a time, and starting the
 * next ends the one before. Times are this host's clock, as ISO strings.
 */
export class PhaseTimeline {
  readonly #phases: DeploymentPhase[] = [];
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Ends the running phase, if any, and starts `name`. */
  start(name: string): void {
    const at = new Date(this.#now()).toISOString();
    this.#closeAt(at);
    this.#phases.push({ name, startedAt: at });
  }

  /** Ends the running phase, if any. */
  end(): void {
    this.#closeAt(new Date(this.#now()).toISOString());
  }

  /** A copy of the phases so far. */
  list(): DeploymentPhase[] {
    return this.#phases.map((p) => ({ ...p }));
  }

  #closeAt(at: string): void {
    const last = this.#phases.at(-1);
    if (last && !last.finishedAt) last.finishedAt = at;
  }
}
