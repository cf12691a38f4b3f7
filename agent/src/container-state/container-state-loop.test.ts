import { describe, expect, it } from 'vitest';
import type { AgentMessageInput } from '@berth/protocol';
import { createLogger } from '../log.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { changesState, runContainerStateLoop } from './container-state-loop.js';

describe('runContainerStateLoop', () => {
  it('reports the state, and after the engine comes back calls onEngineBack with when it was lost', async () => {
    const engine = new FakeEngine();
    let streams = 0;
    // The first event stream breaks at once (the engine went down); the second lasts.
    engine.watchEvents = (signal) => {
      streams += 1;
      if (streams === 1) return Promise.resolve();
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    };
    const sent: AgentMessageInput[] = [];
    const backs: number[] = [];
    const controller = new AbortController();
    let clock = 1_000;
    const done = runContainerStateLoop({
      signal: controller.signal,
      engine,
      send: (m) => (sent.push(m), true),
      logger: createLogger(() => undefined),
      sleep: () => Promise.resolve(),
      now: () => (clock += 1),
      onEngineBack: (lostAt) => {
        backs.push(lostAt);
        return Promise.resolve(1);
      },
    });
    for (let i = 0; i < 50 && streams < 2; i += 1) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await done;
    expect(backs).toHaveLength(1);
    expect(backs[0]).toBeGreaterThan(1_000);
    // a full report at start, one when back, and one more after services were started again
    expect(sent.filter((m) => m.type === 'state.report' && m.full)).toHaveLength(3);
  });

  it('reports after events that change a state, not after commands run or files copied', async () => {
    const engine = new FakeEngine();
    const id = engine.newImageId();
    engine.images.set(id, { id, tags: ['app:1'], repoDigests: [], labels: {} });
    const containerId = await engine.createContainer({
      name: 'db',
      image: id,
      env: {},
      labels: { 'berth.service': 'svc_1', 'berth.deployment': 'dep_1' },
      ports: [],
    });
    const actions = [
      'exec_create: redis-cli ping',
      'exec_start: redis-cli ping',
      'exec_die',
      'archive-path',
      'extract-to-dir',
      'start',
      'health_status: healthy',
      'die',
      'destroy',
    ];
    engine.watchEvents = (signal, onEvent) => {
      for (const action of actions) onEvent({ containerId, action, labels: {} });
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    };
    let inspects = 0;
    const inspect = engine.inspectContainer.bind(engine);
    engine.inspectContainer = (cid) => ((inspects += 1), inspect(cid));
    const sent: AgentMessageInput[] = [];
    const controller = new AbortController();
    const done = runContainerStateLoop({
      signal: controller.signal,
      engine,
      send: (m) => (sent.push(m), true),
      logger: createLogger(() => undefined),
      sleep: () => Promise.resolve(),
    });
    for (let i = 0; i < 50 && sent.length < 5; i += 1) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await done;
    // one full report (one inspect), then one report per state-changing event
    expect(sent.filter((m) => m.type === 'state.report' && !m.full)).toHaveLength(4);
    expect(inspects).toBe(1 + 4);
    expect(changesState('exec_die')).toBe(false);
    expect(changesState('oom')).toBe(true);
  });
});
