import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './registry.js';

describe('MetricsRegistry', () => {
  it('renders counters and gauges in Prometheus text format', async () => {
    const registry = new MetricsRegistry();
    const rejected = registry.counter('frames_rejected_total', 'Frames refused.');
    rejected.inc({ code: 'MALFORMED_FRAME' });
    rejected.inc({ code: 'MALFORMED_FRAME' });
    rejected.inc({ code: 'UNKNOWN_MESSAGE' });
    registry.gauge('sessions', 'Open sessions.', () => 3);
    registry.gauge('servers', 'Servers.', () => [{ labels: { status: 'on"line' }, value: 1 }]);

    expect(await registry.render()).toBe(
      [
        '# HELP frames_rejected_total Frames refused.',
        '# TYPE frames_rejected_total counter',
        'frames_rejected_total{code="MALFORMED_FRAME"} 2',
        'frames_rejected_total{code="UNKNOWN_MESSAGE"} 1',
        '# HELP sessions Open sessions.',
        '# TYPE sessions gauge',
        'sessions 3',
        '# HELP servers Servers.',
        '# TYPE servers gauge',
        'servers{status="on\\"line"} 1',
        '',
      ].join('\n'),
    );
    expect(rejected.get({ code: 'MALFORMED_FRAME' })).toBe(2);
  });

  it('renders histograms with cumulative buckets, a sum and a count', async () => {
    const registry = new MetricsRegistry();
    const phases = registry.histogram('phase_seconds', 'Phase durations.', [0.1, 1]);
    phases.observe({ phase: 'build' }, 0.05);
    phases.observe({ phase: 'build' }, 0.5);
    phases.observe({ phase: 'build' }, 3);

    expect(await registry.render()).toBe(
      [
        '# HELP phase_seconds Phase durations.',
        '# TYPE phase_seconds histogram',
        'phase_seconds_bucket{phase="build",le="0.1"} 1',
        'phase_seconds_bucket{phase="build",le="1"} 2',
        'phase_seconds_bucket{phase="build",le="+Inf"} 3',
        'phase_seconds_sum{phase="build"} 3.55',
        'phase_seconds_count{phase="build"} 3',
        '',
      ].join('\n'),
    );
  });
});
