import { describe, expect, it } from 'vitest';
import { PhaseTimeline } from './timeline.js';

describe('PhaseTimeline', () => {
  it('ends each phase when the next starts, and the last one on end()', () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const timeline = new PhaseTimeline(() => now);
    timeline.start('fetch');
    now += 1500;
    timeline.start('build');
    expect(timeline.list()).toEqual([
      {
        name: 'fetch',
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:01.500Z',
      },
      { name: 'build', startedAt: '2026-01-01T00:00:01.500Z' },
    ]);
    now += 500;
    timeline.end();
    timeline.end();
    expect(timeline.list()[1]).toEqual({
      name: 'build',
      startedAt: '2026-01-01T00:00:01.500Z',
      finishedAt: '2026-01-01T00:00:02.000Z',
    });
  });
});
