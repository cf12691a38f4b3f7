import {
  getDeployment,
  getJob,
  type Deployment,
  type Job,
  type Queued,
  type Stage,
} from './deploy-helpers.js';
import { sleep } from './wait.js';

/**
 * Present on a Deployment and its Job only while the control plane has lost
 * contact with the agent running it: `contact: "lost"` and since when.
 */
export interface ContactFields {
  contact?: string;
  contactLostAt?: string;
}

export interface Sample {
  /** Date.now() when both answers had arrived. */
  at: number;
  /** The phase the test had set when the sample was taken. */
  phase: string;
  deployment: Deployment & ContactFields;
  job: Job & ContactFields;
}

/**
 * Polls `GET /deployments/:id` and `GET /jobs/:id` of one deployment at a fixed
 * interval and keeps every answer, labelled with the phase the test is in.
 */
export class DeploymentWatch {
  readonly samples: Sample[] = [];
  phase = 'start';
  /** The last failed poll, if any; a poll that fails is retried at the next tick. */
  lastError: unknown = null;
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(stage: Pick<Stage, 'cp'>, queued: Queued, intervalMs = 500) {
    this.#loop = this.#run(stage, queued, intervalMs);
  }

  /** The samples taken in one phase. */
  during(phase: string): Sample[] {
    return this.samples.filter((s) => s.phase === phase);
  }

  async stop(): Promise<Sample[]> {
    this.#stopped = true;
    await this.#loop;
    return this.samples;
  }

  async #run(stage: Pick<Stage, 'cp'>, queued: Queued, intervalMs: number): Promise<void> {
    while (!this.#stopped) {
      const phase = this.phase;
      try {
        const [deployment, job] = await Promise.all([
          getDeployment(stage, queued.deployment.id),
          getJob(stage, queued.job.id),
        ]);
        this.samples.push({ at: Date.now(), phase, deployment, job });
      } catch (err) {
        this.lastError = err;
      }
      await sleep(intervalMs);
    }
  }
}

/** The samples as a short table, one row per run of identical samples, for failure messages. */
export function formatSamples(samples: Sample[], since: number): string {
  const state = (s: Sample) =>
    `${s.phase.padEnd(6)} deployment=${s.deployment.status} contact=${s.deployment.contact ?? '-'}` +
    ` job=${s.job.status} contact=${s.job.contact ?? '-'}`;
  const rows: { from: number; to: number; count: number; state: string }[] = [];
  for (const sample of samples) {
    const last = rows.at(-1);
    if (last?.state === state(sample)) {
      last.to = sample.at;
      last.count += 1;
    } else {
      rows.push({ from: sample.at, to: sample.at, count: 1, state: state(sample) });
    }
  }
  return rows
    .map((r) => {
      const span = `+${r.from - since}..+${r.to - since} ms`.padEnd(22);
      return `${span} ${String(r.count).padStart(3)}x ${r.state}`;
    })
    .join('\n');
}
