import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleCollector } from './idle-collector.js';

describe('IdleCollector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects once, when no job has ended or run for the delay', () => {
    const collect = vi.fn();
    const collector = new IdleCollector({ collect, busy: () => false, delayMs: 1_000 });
    collector.jobEnded();
    vi.advanceTimersByTime(600);
    collector.jobEnded(); // another job ended: the wait starts again
    vi.advanceTimersByTime(600);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('leaves a running job alone, and collects after the next one ends', () => {
    const collect = vi.fn();
    let running = true;
    const collector = new IdleCollector({ collect, busy: () => running, delayMs: 1_000 });
    collector.jobEnded();
    vi.advanceTimersByTime(1_000);
    expect(collect).not.toHaveBeenCalled();
    running = false;
    collector.jobEnded();
    vi.advanceTimersByTime(1_000);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('collects nothing once stopped', () => {
    const collect = vi.fn();
    const collector = new IdleCollector({ collect, busy: () => false, delayMs: 1_000 });
    collector.jobEnded();
    collector.stop();
    vi.advanceTimersByTime(5_000);
    expect(collect).not.toHaveBeenCalled();
  });
});
