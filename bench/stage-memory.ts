import type { Stage } from '../test/support/deploy-helpers.js';
import { sleep } from '../test/support/wait.js';
import { readMemory } from './store/figures.js';

/** RSS of a stage's agent and control plane, in MB. */
export interface StageRss {
  agent: number;
  controlPlane: number;
}

export function rssNow(stage: Stage): StageRss {
  return {
    agent: readMemory(stage.agent.process.pid).rssMb,
    controlPlane: readMemory(stage.cp.process.pid).rssMb,
  };
}

/** Samples both processes' RSS every 100 ms until stopped; resolves with the highest seen, in MB. */
export function sampleRss(stage: Stage): { stop(): Promise<StageRss> } {
  const peaks: StageRss = { agent: 0, controlPlane: 0 };
  let running = true;
  const sample = () => {
    const now = rssNow(stage);
    peaks.agent = Math.max(peaks.agent, now.agent);
    peaks.controlPlane = Math.max(peaks.controlPlane, now.controlPlane);
  };
  const loop = (async () => {
    while (running) {
      sample();
      await sleep(100);
    }
    sample();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peaks;
    },
  };
}
