import { readdirSync, readlinkSync } from 'node:fs';
import { appendFile, mkdtemp, open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

  it('writes batches that arrive while a write is on its way together, in order, once each', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    const files = new LogFiles(dir);
    await files.init();
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => line(from + i));
    const probe = await open(join(dir, 'probe'), 'w');
    const datasync = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'datasync');
    await probe.close();
    try {
      const first = files.append('j', batch(1, 100));
      await new Promise((resolve) => setImmediate(resolve)); // the first write is under way
      // A resend, a batch past a gap and its filler all wait behind it, then go as one.
      const answers = await Promise.all([
        first,
        files.append('j', batch(101, 200)),
        files.append('j', batch(150, 300)),
        files.append('j', batch(401, 500)),
        files.append('j', batch(301, 400)),
      ]);
      expect(answers).toEqual([100, 500, 500, 500, 500]);
      expect(datasync).toHaveBeenCalledTimes(2);
    } finally {
      datasync.mockRestore();
    }
    expect(await all(files, 'j')).toEqual(batch(1, 500).map((l) => l.seq));
  });

  it('holds no file open once the batches of a job stop coming', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    const files = new LogFiles(dir);
    await files.init();
    const openFiles = () =>
      readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          return [readlinkSync(`/proc/self/fd/${fd}`)];
        } catch {
          return [];
        }
      });
    await Promise.all([files.append('j', [line(1)]), files.append('j', [line(2)])]);
    await files.append('j', [line(3)]);
    // The close is asynchronous I/O: give it up to 2 s on a busy machine, then look.
    const held = () => openFiles().filter((path) => path.startsWith(dir));
    for (let i = 0; i < 200 && held().length > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(held()).toEqual([]);
    expect(await all(files, 'j')).toEqual([1, 2, 3]);
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

  it('scans a large log a chunk at a time, with after, limit and the last seq from the end', async () => {
    const files = new LogFiles(await mkdtemp(join(tmpdir(), 'berth-logs-')));
    await files.init();
    const total = 20_000;
    for (let from = 1; from <= total; from += 1000) {
      await files.append(
        'big',
        Array.from({ length: 1000 }, (_, i) => line(from + i)),
      );
    }
    files.forget('big');
    await files.settled('big');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await files.lastStoredSeq('big')).toBe(total);
    const pages: number[][] = [];
    for await (const page of files.scan('big', { after: 0 })) pages.push(page.map((l) => l.seq));
    // More than one chunk, and together every seq once, in order.
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flat()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const window: number[] = [];
    for await (const page of files.scan('big', { after: 12_345, limit: 3 }))
      window.push(...page.map((l) => l.seq));
    expect(window).toEqual([12_346, 12_347, 12_348]);
  });

  it('keeps stored JSON as it was, unknown fields included, and skips torn writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    const files = new LogFiles(dir);
    await files.init();
    const marked = { ...line(1), continued: true } as LogLine;
    await files.append('j', [marked]);
    await appendFile(join(dir, 'j.ndjson'), '{"seq":2,"ts":"2026\n');
    await files.append('j', [line(2)]);
    const stored: string[] = [];
    for await (const page of files.scan('j', { after: 0 })) stored.push(...page.map((l) => l.json));
    expect(stored.map((json) => JSON.parse(json) as unknown)).toEqual([marked, line(2)]);
    expect(await new LogFiles(dir).lastStoredSeq('j')).toBe(2);
    expect(await files.lastStoredSeq('none')).toBe(0);
  });

  it('appends a batch with one write and one datasync, answering its highest seq', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
    const files = new LogFiles(dir);
    await files.init();
    const probe = await open(join(dir, 'probe'), 'w');
    const handleType = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const write = vi.spyOn(handleType, 'write');
    const datasync = vi.spyOn(handleType, 'datasync');
    try {
      await files.append('j', []);
      expect(
        await files.append(
          'j',
          Array.from({ length: 500 }, (_, i) => line(i + 1)),
        ),
      ).toBe(500);
      expect(write).toHaveBeenCalledTimes(1);
      expect(datasync).toHaveBeenCalledTimes(1);
    } finally {
      write.mockRestore();
      datasync.mockRestore();
    }
    expect((await all(files, 'j')).length).toBe(500);
  });
});
