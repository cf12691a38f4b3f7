import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '@berth/protocol';
import { LogFiles } from './log-files.js';

const line = (seq: number): LogLine => ({
  seq,
  ts: '2026-01-01T00:00:00.000Z',
  stream: 'build',
  text: `l${seq}`,
});

async function all(files: LogFiles, jobId: string, after = 0): Promise<number[]> {
  const seqs: number[] = [];
  await files.read(jobId, after, (l) => seqs.push(l.seq));
  return seqs;
}

describe('LogFiles', () => {
  it('stores each line once, in order, dropping resends', async () => {
    const files = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-logs-')));
    await files.init();
    expect(await files.append('j', [line(1), line(2)])).toBe(2);
    expect(await files.append('j', [line(2), line(3)])).toBe(3);
    expect(await files.append('j', [line(5)])).toBe(3);
    expect(await files.append('j', [line(4), line(5)])).toBe(5);
    expect(await all(files, 'j')).toEqual([1, 2, 3, 4, 5]);
    expect(await all(files, 'j', 3)).toEqual([4, 5]);
  });

  it('knows where it stopped after a restart, even with a torn last line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    const first = new LogFiles(dir);
    await first.init();
    await first.append('j', [line(1), line(2)]);
    await appendFile(join(dir, 'j.ndjson'), '{"seq":3,"ts"');
    const second = new LogFiles(dir);
    expect(await second.highestSeq('j')).toBe(2);
    await second.append('j', [line(3)]);
    expect(await all(second, 'j')).toEqual([1, 2, 3]);
  });

  it('tells subscribers about new lines', async () => {
    const files = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-logs-')));
    await files.init();
    const seen: number[] = [];
    const stop = files.subscribe('j', (l) => seen.push(l.seq));
    await files.append('j', [line(1)]);
    stop();
    await files.append('j', [line(2)]);
    expect(seen).toEqual([1]);
  });

  it('lets go of a finished job, and still stores a late line in sequence', async () => {
    const files = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-logs-')));
    await files.init();
    for (let job = 0; job < 50; job += 1) await files.append(`j${job}`, [line(1), line(2)]);
    expect(files.trackedJobs).toBe(50);
    for (let job = 0; job < 50; job += 1) files.forget(`j${job}`);
    await Promise.all(Array.from({ length: 50 }, (_, job) => files.settled(`j${job}`)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(files.trackedJobs).toBe(0);
    await files.append('j0', [line(2), line(3)]);
    expect(await all(files, 'j0')).toEqual([1, 2, 3]);
    await files.remove('j0');
    expect(await all(files, 'j0')).toEqual([]);
  });
});
