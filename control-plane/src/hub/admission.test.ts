import { describe, expect, it } from 'vitest';
import { fakeClock } from '../testing/fake-clock.js';
import { Admission } from './admission.js';

describe('Admission', () => {
  it('admits up to the handshakes in flight, then names a delay, and admits again as they finish', () => {
    const clock = fakeClock();
    const admission = new Admission({ now: clock.now, random: () => 0.5, maxPendingHandshakes: 3 });
    expect([admission.admit(), admission.admit(), admission.admit()]).toEqual([null, null, null]);
    const delays = [admission.admit(), admission.admit()];
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(250);
      expect(delay).toBeLessThanOrEqual(20_250);
    }
    admission.settled(true);
    expect(admission.admit()).toBeGreaterThan(0); // no admission left to spend yet
    clock.advance(1000);
    expect(admission.admit()).toBeNull();
    expect(admission.pending).toBe(3);
  });

  it('spreads a larger crowd over a longer time', () => {
    const clock = fakeClock();
    const admission = new Admission({
      now: clock.now,
      random: () => 0.99,
      maxPendingHandshakes: 1,
    });
    admission.admit();
    const first = admission.admit()!;
    for (let i = 0; i < 1000; i += 1) admission.admit();
    expect(admission.admit()!).toBeGreaterThan(first * 4);
  });
});
