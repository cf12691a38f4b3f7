import { describe, expect, it } from 'vitest';
import { fakeClock } from '../testing/fake-clock.js';
import { DEFAULT_RETRY, deliverWithRetries, retryDelayMs, type PostResult } from './send.js';
import { maskUrl } from './mask-url.js';

/** A receiver that answers the given results in turn, on a clock that sleeps by moving. */
function scripted(results: PostResult[]) {
  const clock = fakeClock();
  const postedAt: number[] = [];
  const slept: number[] = [];
  const attempts: { result: PostResult; last: boolean }[] = [];
  let next = 0;
  const run = (random = () => 0) =>
    deliverWithRetries(
      {
        post: async () => {
          postedAt.push(clock.now());
          return results[Math.min(next++, results.length - 1)]!;
        },
        sleep: async (ms) => {
          slept.push(ms);
          clock.advance(ms);
        },
        now: clock.now,
        random,
        policy: DEFAULT_RETRY,
      },
      { url: 'https://hooks.example.com/x', body: '{}', headers: {} },
      async (result, _at, last) => {
        attempts.push({ result, last });
      },
    );
  return { run, postedAt, slept, attempts };
}

describe('notification retries', () => {
  it('retries a 500 after 1 s, then 2 s, and stops at the first 2xx', async () => {
    const receiver = scripted([{ status: 500 }, { status: 500 }, { status: 200 }]);
    expect(await receiver.run()).toBe(true);
    expect(receiver.slept).toEqual([1000, 2000]);
    expect(receiver.postedAt.map((t) => t - receiver.postedAt[0]!)).toEqual([0, 1000, 3000]);
    expect(receiver.attempts.map((a) => a.last)).toEqual([false, false, true]);
  });

  it('gives up after 5 attempts, waiting 1, 2, 4 and 8 s', async () => {
    const receiver = scripted([{ error: 'connect ECONNREFUSED 127.0.0.1:9' }]);
    expect(await receiver.run()).toBe(false);
    expect(receiver.postedAt).toHaveLength(5);
    expect(receiver.slept).toEqual([1000, 2000, 4000, 8000]);
    expect(receiver.attempts.at(-1)).toMatchObject({ last: true });
  });

  it('does not retry an answer that cannot get better, such as 404', async () => {
    const receiver = scripted([{ status: 404 }, { status: 200 }]);
    expect(await receiver.run()).toBe(false);
    expect(receiver.postedAt).toHaveLength(1);
  });

  it('caps the delay at 16 s and jitters it down by at most a quarter', () => {
    expect(retryDelayMs(DEFAULT_RETRY, 10, () => 0)).toBe(16_000);
    expect(retryDelayMs(DEFAULT_RETRY, 1, () => 1)).toBe(750);
    expect(retryDelayMs(DEFAULT_RETRY, 3, () => 0.5)).toBe(3500);
  });
});

describe('maskUrl', () => {
  it('shows scheme and host only, never the token in a path, query or user info', () => {
    expect(maskUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe(
      'https://hooks.slack.com/…',
    );
    expect(maskUrl('https://discord.com/api/webhooks/1/tok?x=1')).toBe('https://discord.com/…');
    expect(maskUrl('http://user:pw@127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/');
    expect(maskUrl('http://127.0.0.1:8080/?token=abc')).toBe('http://127.0.0.1:8080/…');
  });
});
