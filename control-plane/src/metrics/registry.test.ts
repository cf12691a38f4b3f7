import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './registry.js';

describe('MetricsRegistry', () => {
  it('renders counters and gauges in Prometheus text format', async () => {
    const registry = new MetricsRegistry();
    const rejected = registry.counter({
      name: 'frames_rejected_total',
      help: 'Frames refused.',
      labelNames: ['code'],
    });
    rejected.inc({ code: 'MALFORMED_FRAME' });
    rejected.inc({ code: 'MALFORMED_FRAME' });
    rejected.inc({ code: 'UNKNOWN_MESSAGE' });
    registry.gauge({ name: 'sessions', help: 'Open sessions.', collect: () => 3 });
    registry.gauge({
      name: 'servers',
      help: 'Servers.',
      labelNames: ['status'],
      collect: () => [{ labels: { status: 'on"line' }, value: 1 }],
    });

    expect(await registry.render()).toBe(
      [
        '# HELP frames_rejected_total Frames refused.',
        '# TYPE frames_rejected_total counter',
        'frames_rejected_total{code="MALFORMED_FRAME"} 2',
        'frames_rejected_total{code="UNKNOWN_MESSAGE"} 1',
        '',
        '# HELP sessions Open sessions.',
        '# TYPE sessions gauge',
        'sessions 3',
        '',
        '# HELP servers Servers.',
        '# TYPE servers gauge',
        'servers{status="on\\"line"} 1',
        '',
      ].join('\n'),
    );
    expect(await rejected.get({ code: 'MALFORMED_FRAME' })).toBe(2);
    expect(await rejected.get({ code: 'AUTH_FAILED' })).toBe(0);
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('reads gauges at scrape time, dropping label sets that are gone', async () => {
    const registry = new MetricsRegistry();
    let counts: Record<string, number> = { online: 2, offline: 1 };
    registry.gauge({
      name: 'servers',
      help: 'Servers.',
      labelNames: ['status'],
      collect: () =>
        Object.entries(counts).map(([status, value]) => ({ labels: { status }, value })),
    });
    expect(await registry.render()).toContain('servers{status="offline"} 1');
    counts = { online: 3 };
    const text = await registry.render();
    expect(text).toContain('servers{status="online"} 3');
    expect(text).not.toContain('offline');
  });

  it('renders histograms with cumulative buckets, a sum and a count', async () => {
    const registry = new MetricsRegistry();
    const phases = registry.histogram({
      name: 'phase_seconds',
      help: 'Phase durations.',
      labelNames: ['phase'],
      buckets: [0.1, 1],
    });
    phases.observe({ phase: 'build' }, 0.05);
    phases.observe({ phase: 'build' }, 0.5);
    phases.observe({ phase: 'build' }, 3);

    expect(await registry.render()).toBe(
      [
        '# HELP phase_seconds Phase durations.',
        '# TYPE phase_seconds histogram',
        'phase_seconds_bucket{le="0.1",phase="build"} 1',
        'phase_seconds_bucket{le="1",phase="build"} 2',
        'phase_seconds_bucket{le="+Inf",phase="build"} 3',
        'phase_seconds_sum{phase="build"} 3.55',
        'phase_seconds_count{phase="build"} 3',
        '',
      ].join('\n'),
    );
  });
});
