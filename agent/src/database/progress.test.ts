import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { AgentMessageInput } from '@berth/protocol';
import { HashMeter, ProgressReporter } from './progress.js';

describe('HashMeter', () => {
  it('hashes and counts what passes, and can hold its end back', async () => {
    const parts = [Buffer.from('hello '), Buffer.from('world')];
    const meter = new HashMeter(undefined, () => Promise.reject(new Error('dump failed')));
    const out: Buffer[] = [];
    await expect(
      pipeline(Readable.from(parts), meter, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) out.push(chunk);
      }),
    ).rejects.toThrow('dump failed');
    expect(meter.bytes).toBe(11);
    expect(meter.sha256).toBe(createHash('sha256').update('hello world').digest('hex'));
  });
});

describe('ProgressReporter', () => {
  it('sends a phase change at once and at most one update per half second', () => {
    let now = 0;
    const sent: AgentMessageInput[] = [];
    const reporter = new ProgressReporter({
      jobId: 'j',
      backupId: 'b',
      now: () => now,
      send: (m) => sent.push(m) > 0,
    });
    reporter.update('dumping', 0);
    for (let i = 1; i <= 100; i += 1) {
      now += 20;
      reporter.update('uploading', i * 1000);
    }
    // 2 s of updates every 20 ms: both phase changes, then one at 520, 1020 and 1520 ms.
    expect(sent.map((m) => (m as { bytes: number }).bytes)).toEqual([0, 1000, 26000, 51000, 76000]);
    expect(sent.at(-1)).toMatchObject({ type: 'backup.progress', phase: 'uploading' });
    const last = sent.at(-1) as { bytes: number; bytesPerSecond: number };
    expect(last.bytesPerSecond).toBeGreaterThan(0);
  });
});
