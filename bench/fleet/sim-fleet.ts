// The parent's handle on the simulator children: several processes, each with many agent sockets.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildReport, StatsReport } from './messages.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NOFILE = 65_536;

/** Raises the open-file limit of a process we started (root may raise the hard limit too). */
export function raiseFileLimit(pid: number): void {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${NOFILE}:${NOFILE}`], {
      stdio: 'ignore',
    });
  } catch {
    // Not root or no prlimit: the inherited limit has to do.
  }
}

class SimChild {
  readonly #child: ChildProcess;
  readonly #waiting: { type: string; resolve: (report: ChildReport) => void }[] = [];
  readonly #exited: Promise<void>;

  constructor() {
    this.#child = fork(join(HERE, 'sim-agents.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (this.#child.pid) raiseFileLimit(this.#child.pid);
    this.#child.on('message', (report: ChildReport) => {
      if (report.type === 'failed') throw new Error(`simulator child failed: ${report.error}`);
      const index = this.#waiting.findIndex((w) => w.type === report.type);
      if (index !== -1) this.#waiting.splice(index, 1)[0]!.resolve(report);
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.once('exit', (code) => {
      // Every load loop must end: a child that dies early ends the benchmark.
      if (!this.#stopping) throw new Error(`a simulator child exited early (status ${code})`);
    });
  }

  #stopping = false;

  ask<T extends ChildReport['type']>(
    command: ChildCommand,
    answer: T,
  ): Promise<Extract<ChildReport, { type: T }>> {
    return new Promise((resolve) => {
      this.#waiting.push({ type: answer, resolve: resolve as (report: ChildReport) => void });
      this.#child.send(command);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#child.send({ type: 'stop' } satisfies ChildCommand);
    await this.#exited;
  }
}

export interface FleetStats {
  agents: number;
  welcomed: number;
  timeouts: number;
  deferred: number;
  rtts: number[];
  cpuMicros: number;
}

export class SimFleet {
  readonly #children: SimChild[];

  private constructor(children: SimChild[]) {
    this.#children = children;
  }

  static async start(options: { children: number; cpUrl: string; heartbeatMs: number }) {
    const children = Array.from({ length: options.children }, () => new SimChild());
    await Promise.all(
      children.map((c) =>
        c.ask({ type: 'setup', cpUrl: options.cpUrl, heartbeatMs: options.heartbeatMs }, 'ready'),
      ),
    );
    return new SimFleet(children);
  }

  /** Enrolls `count` more agents, spread over the children; resolves with each enrollment's time. */
  async enroll(count: number, adminToken: string): Promise<number[]> {
    const per = this.#split(count);
    const answers = await Promise.all(
      this.#children.map((c, i) =>
        c.ask({ type: 'enroll', count: per[i]!, adminToken, concurrency: 8 }, 'enrolled'),
      ),
    );
    return answers.flatMap((a) => a.latencies);
  }

  /** Opens a socket for every agent that has none. */
  async connect(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.ask({ type: 'connect' }, 'connecting')));
  }

  async stats(takeRtts = false): Promise<FleetStats> {
    const all: StatsReport[] = await Promise.all(
      this.#children.map((c) => c.ask({ type: 'stats', takeRtts }, 'stats')),
    );
    const sum = (pick: (s: StatsReport) => number) => all.reduce((n, s) => n + pick(s), 0);
    return {
      agents: sum((s) => s.agents),
      welcomed: sum((s) => s.welcomed),
      timeouts: sum((s) => s.timeouts),
      deferred: sum((s) => s.deferred),
      rtts: all.flatMap((s) => s.rtts),
      cpuMicros: sum((s) => s.cpuMicros),
    };
  }

  /** Polls until every agent is welcomed; resolves with the time it took, in ms. */
  async allWelcomed(timeoutMs: number): Promise<number> {
    const started = performance.now();
    for (;;) {
      const stats = await this.stats();
      if (stats.welcomed === stats.agents) return performance.now() - started;
      if (performance.now() - started > timeoutMs) {
        throw new Error(
          `only ${stats.welcomed} of ${stats.agents} agents welcomed in ${timeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop()));
  }

  #split(count: number): number[] {
    const n = this.#children.length;
    return this.#children.map((_, i) => Math.floor(count / n) + (i < count % n ? 1 : 0));
  }
}
