import { readdirSync, readlinkSync } from 'node:fs';
import { appendFile, mkdtemp, open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { LogLine, LogRun } from '@berth/protocol';
import { LogFiles, type ScanOptions } from './log-files.js';

const line = (seq: number): LogLine => ({
  seq,
  ts: '2026-01-01T00:00:00.000Z',
  stream: 'build',
  text: `l${seq}`,
});

/** Lines seq..seq + count - 1 of one stream and millisecond, as one run. */
const run = (seq: number, count: number, stream: LogRun['stream'] = 'build'): LogRun => ({
  seq,
  ts: '2026-01-01T00:00:01.000Z',
  stream,
  text: Array.from({ length: count }, (_, i) => `r${seq + i}`).join('\n'),
});

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function lines(files: LogFiles, jobId: string, options: ScanOptions): Promise<LogLine[]> {
  const read: LogLine[] = [];
  for await (const page of files.scan(jobId, options))
    read.push(...page.map((stored) => JSON.parse(stored.json) as LogLine));
  return read;
}

async function newFiles(): Promise<{ dir: string; files: LogFiles }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-logs-'));
  const files = new LogFiles(dir);
  await files.init();
  return { dir, files };
}

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

  it('stores a run as the bytes JSON.stringify writes, and reads it back a line at a time', async () => {
    const { dir, files } = await newFiles();
    const first = run(1, 3, 'stderr');
    const continued: LogRun = { ...run(4, 1), continued: true };
    expect(await files.append('j', [first, continued])).toBe(4);
    expect(await readFile(join(dir, 'j.ndjson'), 'utf8')).toBe(
      `${JSON.stringify(first)}\n${JSON.stringify(continued)}\n`,
    );
    const stored: string[] = [];
    for await (const page of files.scan('j', { after: 0 })) stored.push(...page.map((l) => l.json));
    const expected: LogLine[] = [
      { seq: 1, ts: first.ts, stream: 'stderr', text: 'r1' },
      { seq: 2, ts: first.ts, stream: 'stderr', text: 'r2' },
      { seq: 3, ts: first.ts, stream: 'stderr', text: 'r3' },
      continued,
    ];
    // Each line's JSON has the key order of a LogLine, as if it had been stored on its own.
    expect(stored).toEqual(expected.map((l) => JSON.stringify(l)));
    const read: LogLine[] = [];
    await files.read('j', 0, (l) => read.push(l));
    expect(read).toEqual(expected);
  });

  it('starts inside a run when after falls in it, and cuts a run at the limit', async () => {
    const { dir, files } = await newFiles();
    await files.append('j', [run(1, 5), run(6, 5), run(11, 5)]);
    expect((await lines(files, 'j', { after: 3 })).map((l) => l.seq)).toEqual(range(4, 15));
    expect((await lines(files, 'j', { after: 7, limit: 4 })).map((l) => l.text)).toEqual([
      'r8',
      'r9',
      'r10',
      'r11',
    ]);
    expect((await lines(files, 'j', { after: 0, limit: 2 })).map((l) => l.seq)).toEqual([1, 2]);
    expect(await lines(files, 'j', { after: 15 })).toEqual([]);
    expect(await files.lastStoredSeq('none')).toBe(0);
    expect(await new LogFiles(dir).lastStoredSeq('j')).toBe(15);
  });

  it('stores only the new lines of a resent run that overlaps the stored ones', async () => {
    const { dir, files } = await newFiles();
    await files.append('j', [run(1, 4)]);
    // Resent from the first unacknowledged seq on: lines 3 and 4 are stored already.
    expect(await files.append('j', [run(3, 5), run(1, 2)])).toBe(7);
    expect((await lines(files, 'j', { after: 0 })).map((l) => l.text)).toEqual(
      range(1, 7).map((seq) => `r${seq}`),
    );
    const records = (await readFile(join(dir, 'j.ndjson'), 'utf8')).trimEnd().split('\n');
    expect(records.map((r) => JSON.parse(r) as LogRun)).toEqual([
      run(1, 4),
      { ...run(5, 3), ts: run(3, 5).ts },
    ]);
  });

  it('keeps a run past a gap out until the resend fills the gap', async () => {
    const { files } = await newFiles();
    await files.append('j', [run(1, 3)]);
    expect(await files.append('j', [run(7, 3)])).toBe(3);
    expect((await lines(files, 'j', { after: 0 })).map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(await files.append('j', [run(4, 3), run(7, 3)])).toBe(9);
    expect((await lines(files, 'j', { after: 0 })).map((l) => l.seq)).toEqual(range(1, 9));
  });

  it('skips a torn last run after a restart, and stores it whole when it is resent', async () => {
    const { dir, files } = await newFiles();
    await files.append('j', [run(1, 3)]);
    const torn = JSON.stringify(run(4, 3));
    await appendFile(join(dir, 'j.ndjson'), torn.slice(0, torn.indexOf('\\n') + 5));
    const again = new LogFiles(dir);
    expect(await again.lastStoredSeq('j')).toBe(3);
    expect(await again.highestSeq('j')).toBe(3);
    expect(await again.append('j', [run(4, 3)])).toBe(6);
    expect((await lines(again, 'j', { after: 0 })).map((l) => l.seq)).toEqual(range(1, 6));
    expect((await lines(again, 'j', { after: 4 })).map((l) => l.seq)).toEqual([5, 6]);
    expect(await new LogFiles(dir).highestSeq('j')).toBe(6);
  });

  it('bisects a file of many runs to start reading near after', async () => {
    const { dir, files } = await newFiles();
    const size = 7;
    const count = 20_000;
    for (let from = 0; from < count; from += 1000) {
      await files.append(
        'big',
        Array.from({ length: 1000 }, (_, i) => run(1 + (from + i) * size, size)),
      );
    }
    // Blank out the first record: a read from the start of the file now stops there, so lines
    // found past it show the read began in the middle.
    const handle = await open(join(dir, 'big.ndjson'), 'r+');
    await handle.write(' '.repeat(JSON.stringify(run(1, size)).length), 0);
    await handle.close();
    expect(await lines(files, 'big', { after: 0, limit: 3 })).toEqual([]);
    const middle = (count / 2) * size + 3;
    expect((await lines(files, 'big', { after: middle, limit: 10 })).map((l) => l.seq)).toEqual(
      range(middle + 1, middle + 10),
    );
    const rest = await lines(files, 'big', { after: middle });
    expect(rest.length).toBe(count * size - middle);
    expect(rest.every((l, i) => l.seq === middle + 1 + i && l.text === `r${l.seq}`)).toBe(true);
  });

  it('reads a file of one-line records followed by runs', async () => {
    const { dir, files } = await newFiles();
    // As files were written before runs: one record per line.
    await writeFile(
      join(dir, 'j.ndjson'),
      [line(1), line(2), line(3)].map((l) => `${JSON.stringify(l)}\n`).join(''),
    );
    expect(await files.append('j', [run(3, 3), run(6, 2)])).toBe(7);
    expect((await lines(files, 'j', { after: 0 })).map((l) => l.text)).toEqual([
      'l1',
      'l2',
      'l3',
      'r4',
      'r5',
      'r6',
      'r7',
    ]);
    expect((await lines(files, 'j', { after: 2, limit: 3 })).map((l) => l.seq)).toEqual([3, 4, 5]);
    expect(await new LogFiles(dir).lastStoredSeq('j')).toBe(7);
    expect(await new LogFiles(dir).highestSeq('j')).toBe(7);
  });

  it('does not take a backslash before an n in a line for a newline', async () => {
    const { files } = await newFiles();
    const path: LogRun = { ...run(1, 1), text: 'C:\\new\\n' };
    await files.append('j', [path, run(2, 2), { ...run(4, 2), text: 'a\\\nb' }]);
    for (let after = 0; after <= 5; after += 1) {
      expect((await lines(files, 'j', { after })).map((l) => l.seq)).toEqual(range(after + 1, 5));
    }
    expect((await lines(files, 'j', { after: 0 })).map((l) => l.text)).toEqual([
      'C:\\new\\n',
      'r2',
      'r3',
      'a\\',
      'b',
    ]);
  });

  it('tells subscribers about each line of a run, once', async () => {
    const { files } = await newFiles();
    const seen: LogLine[] = [];
    const stop = files.subscribe('j', (l) => seen.push(l));
    await files.append('j', [run(1, 2)]);
    await files.append('j', [run(1, 4)]);
    stop();
    await files.append('j', [run(5, 2)]);
    expect(seen.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(seen[2]).toEqual({ seq: 3, ts: run(1, 4).ts, stream: 'build', text: 'r3' });
  });
});
