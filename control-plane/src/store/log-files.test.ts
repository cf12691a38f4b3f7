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
});
