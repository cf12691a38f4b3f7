import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_LOG_LINE_BYTES,
  logRunSchema,
  runLines,
  type AgentMessageInput,
  type LogLine,
} from '@berth/protocol';
import { decodingLogSender } from '../testing/log-batches.js';
import {
  BACKLOG_LINES,
  BATCH_BYTES,
  BATCH_RUNS,
  HELD_BYTES,
  LogSpool,
  RUN_CHARS,
  WRITE_BYTES,
  type LogSender,
} from './log-spool.js';

class FakeSender implements LogSender {
  connected = true;
  batches: { jobId: string; lines: LogLine[]; bytes: number }[] = [];
  sent: AgentMessageInput[] = [];
  readonly #batchSender = decodingLogSender((message, bytes) => {
    if (message.type === 'log.batch')
      this.batches.push({ jobId: message.jobId, lines: message.lines, bytes });
    return this.send(message);
  });
  send(message: AgentMessageInput): boolean {
    if (!this.connected) return false;
    this.sent.push(message);
    return true;
  }
  sendLogRuns(jobId: string, frame: Buffer): boolean {
    return this.connected && this.#batchSender.sendLogRuns(jobId, frame);
  }
  seqs(jobId?: string): number[] {
    return this.batches
      .filter((b) => !jobId || b.jobId === jobId)
      .flatMap((b) => b.lines.map((l) => l.seq));
  }
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'berth-spool-'));
/** The lines a spool file holds, its runs spread out. */
const linesOnDisk = (dir: string, jobId: string): LogLine[] =>
  readFileSync(join(dir, `${jobId}.ndjson`), 'utf8')
    .trim()
    .split('\n')
    .flatMap((record) => runLines(logRunSchema.parse(JSON.parse(record))));
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('LogSpool', () => {
  it('numbers lines from 1 without gaps and sends them after writing them', async () => {
    const dir = spoolDir();
    const sender = new FakeSender();
    const spool = new LogSpool(dir, sender);
    for (let i = 0; i < 5; i += 1) spool.append('job1', 'build', `line ${i}`);
    // Batched: nothing is written or sent on the append itself.
    expect(sender.seqs()).toEqual([]);
    expect(existsSync(join(dir, 'job1.ndjson'))).toBe(false);
    await spool.flush();
    expect(sender.batches.map((b) => b.lines.map((l) => l.seq))).toEqual([[1, 2, 3, 4, 5]]);
    expect(spool.lastSeq('job1')).toBe(5);
    expect(linesOnDisk(dir, 'job1').map((l) => [l.seq, l.text])).toEqual(
      range(5, 0).map((i) => [i + 1, `line ${i}`]),
    );
  });

  it('sends a lone line within the batch interval without being asked', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    spool.append('j', 'build', 'hello');
    await new Promise((r) => setTimeout(r, 200));
    expect(sender.seqs()).toEqual([1]);
  });

  it('sends a burst printed within a millisecond as one run, one record on disk', async () => {
    const dir = spoolDir();
    const sender = new FakeSender();
    const spool = new LogSpool(dir, sender, () => 1_700_000_000_000);
    for (let i = 0; i < 2_345; i += 1) spool.append('j', 'build', String(i));
    await spool.flush();
    expect(sender.seqs()).toEqual(range(2_345));
    expect(sender.batches).toHaveLength(1);
    const records = readFileSync(join(dir, 'j.ndjson'), 'utf8').trim().split('\n');
    expect(records).toHaveLength(1);
    const run = logRunSchema.parse(JSON.parse(records[0]!));
    expect(run.seq).toBe(1);
    expect(run.text.split('\n')).toEqual(range(2_345, 0).map(String));
  });

  it('starts a new run when the stream or the millisecond changes, or a run grows past RUN_CHARS', async () => {
    const dir = spoolDir();
    const sender = new FakeSender();
    let now = 1_700_000_000_000;
    const spool = new LogSpool(dir, sender, () => now);
    spool.append('j', 'build', 'a');
    spool.append('j', 'build', 'b');
    spool.append('j', 'stderr', 'c');
    now += 1;
    spool.append('j', 'stderr', 'd');
    const long = 'x'.repeat(MAX_LOG_LINE_BYTES);
    const many = Math.ceil(RUN_CHARS / long.length) + 1;
    for (let i = 0; i < many; i += 1) spool.append('j', 'stderr', long);
    await spool.flush();
    const runs = readFileSync(join(dir, 'j.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((record) => logRunSchema.parse(JSON.parse(record)));
    expect(runs.slice(0, 3).map((r) => [r.seq, r.stream, r.text])).toEqual([
      [1, 'build', 'a\nb'],
      [3, 'stderr', 'c'],
      [4, 'stderr', `d\n${long}\n${long}\n${long}`],
    ]);
    for (const run of runs) expect(run.text.length).toBeLessThan(RUN_CHARS);
    expect(sender.seqs()).toEqual(range(4 + many));
  });

  it('groups a burst over many milliseconds into frames of at most BATCH_RUNS runs', async () => {
    const sender = new FakeSender();
    let now = 1_700_000_000_000;
    const spool = new LogSpool(spoolDir(), sender, () => (now += 1));
    for (let i = 0; i < 2_345; i += 1) spool.append('j', 'build', String(i));
    await spool.flush();
    expect(sender.seqs()).toEqual(range(2_345));
    expect(sender.batches.length).toBeLessThanOrEqual(3);
    expect(Math.max(...sender.batches.map((b) => b.lines.length))).toBe(BATCH_RUNS);
  });

  it('keeps frames under the byte budget with the longest, most escaped lines', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    const worst = '\u0001'.repeat(MAX_LOG_LINE_BYTES); // each escapes to \u0001, 6 bytes
    for (let i = 0; i < 40; i += 1) spool.append('j', 'stdout', worst);
    await spool.flush();
    expect(sender.seqs()).toEqual(range(40));
    expect(sender.batches.length).toBeGreaterThan(1);
    for (const batch of sender.batches) expect(batch.bytes).toBeLessThan(BATCH_BYTES + 128 * 1024);
  });

  it('numbers each line of a text with newlines, so both sides count a run alike', async () => {
    const dir = spoolDir();
    const sender = new FakeSender();
    const spool = new LogSpool(dir, sender, () => 1_700_000_000_000);
    spool.append('j', 'system', 'before');
    expect(spool.append('j', 'system', 'The build failed:\n\nstep 3\n')).toBe(4);
    spool.append('j', 'system', 'after');
    await spool.flush();
    expect(sender.batches.flatMap((b) => b.lines).map((l) => [l.seq, l.text])).toEqual([
      [1, 'before'],
      [2, 'The build failed:'],
      [3, ''],
      [4, 'step 3'],
      [5, 'after'],
    ]);
    expect(linesOnDisk(dir, 'j').map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('splits a text over 16 KiB into continued parts', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    const text = 'z'.repeat(MAX_LOG_LINE_BYTES * 2 + 10);
    expect(spool.append('j', 'build', text)).toBe(3);
    spool.append('j', 'build', 'tail part', true);
    await spool.flush();
    const lines = sender.batches.flatMap((b) => b.lines);
    expect(lines.map((l) => l.continued)).toEqual([undefined, true, true, true]);
    expect(lines.map((l) => l.text).join('')).toBe(`${text}tail part`);
  });

  it('keeps lines while disconnected and resends what was not acknowledged', async () => {
    const sender = new FakeSender();
    // A millisecond a line: each line is a run of its own.
    let now = 1_700_000_000_000;
    const spool = new LogSpool(spoolDir(), sender, () => (now += 1));
    spool.append('j', 'system', 'a');
    spool.append('j', 'system', 'b');
    await spool.flush();
    spool.ack('j', 1);
    sender.connected = false;
    spool.append('j', 'stdout', 'c');
    await spool.flush();
    sender.connected = true;
    sender.batches = [];
    spool.resendAll();
    expect(sender.seqs()).toEqual([2, 3]);
  });

  it('resends a run whole when it was acknowledged only in part', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender, () => 1_700_000_000_000);
    for (const text of ['a', 'b', 'c']) spool.append('j', 'build', text);
    await spool.flush();
    spool.ack('j', 2);
    sender.batches = [];
    spool.resendAll();
    // The control plane keeps line 3 of it and drops the two it has.
    expect(sender.seqs()).toEqual([1, 2, 3]);
    spool.ack('j', 3);
    expect(spool.pendingLines).toBe(0);
  });

  it('deletes the spool file once finished and fully acknowledged', async () => {
    const dir = spoolDir();
    const spool = new LogSpool(dir, new FakeSender());
    spool.append('j', 'system', 'a');
    spool.finish('j');
    await spool.flush();
    expect(readdirSync(dir)).toHaveLength(1);
    spool.ack('j', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(dir)).toHaveLength(0);
    expect(spool.pendingLines).toBe(0);
  });

  it('calls afterSent once every line is sent, so the outcome follows the log', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    for (let i = 0; i < 1_500; i += 1) spool.append('j', 'build', String(i));
    spool.finish('j');
    spool.afterSent('j', () => sender.send({ type: 'job.accept', jobId: 'j' }));
    await spool.flush();
    const types = sender.sent.map((m) => m.type);
    expect(types.at(-1)).toBe('job.accept');
    expect(types.filter((t) => t === 'job.accept')).toHaveLength(1);
    expect(sender.seqs()).toEqual(range(1_500));
  });

  it('after a restart, resends spooled lines and continues the numbering; a torn line is cut off', async () => {
    const dir = spoolDir();
    const first = new LogSpool(dir, new FakeSender());
    first.append('j', 'build', 'one');
    first.append('j', 'build', 'two');
    await first.flush();
    appendFileSync(join(dir, 'j.ndjson'), '{"seq":3,"ts":"x","str');

    const sender = new FakeSender();
    const second = new LogSpool(dir, sender);
    second.resendAll();
    await second.flush();
    expect(sender.seqs()).toEqual([1, 2]);
    expect(second.append('j', 'build', 'three')).toBe(3);
    await second.flush();
    expect(sender.seqs()).toEqual([1, 2, 3]);
    // the file is whole again: every run parses, in order
    expect(linesOnDisk(dir, 'j').map((l) => [l.seq, l.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
  });

  it('a spool file from an earlier run goes once its lines are acknowledged', async () => {
    const dir = spoolDir();
    const first = new LogSpool(dir, new FakeSender());
    first.append('old', 'build', 'one');
    await first.flush();
    const second = new LogSpool(dir, new FakeSender());
    second.resendAll();
    await second.flush();
    second.ack('old', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('holds a bounded number of bytes while disconnected, and resends all lines once, in order', async () => {
    const sender = new FakeSender();
    sender.connected = false;
    const spool = new LogSpool(spoolDir(), sender);
    const pad = '.'.repeat(1_000);
    const total = Math.ceil((3 * HELD_BYTES) / pad.length) + 123;
    // One chunk written past the bound is held; nothing more.
    const bound = HELD_BYTES + WRITE_BYTES + RUN_CHARS * 3;
    for (let i = 1; i <= total; i += 1) {
      spool.append('j', 'build', `line ${i} ${pad}`);
      if (i % 500 === 0) await spool.flush();
    }
    await spool.flush();
    expect(spool.heldBytes).toBeLessThanOrEqual(bound);
    expect(spool.pendingLines).toBe(total);

    // Reconnect: the control plane acknowledges each frame; spilled lines are read back.
    sender.connected = true;
    spool.resendAll();
    let maxHeld = 0;
    for (let round = 0; round < 1_000 && spool.pendingLines > 0; round += 1) {
      const last = sender.batches.at(-1)?.lines.at(-1)?.seq ?? 0;
      spool.ack('j', last);
      maxHeld = Math.max(maxHeld, spool.heldBytes);
      await spool.flush();
    }
    expect(maxHeld).toBeLessThanOrEqual(bound);
    expect(sender.seqs()).toEqual(range(total));
    const texts = sender.batches.flatMap((b) => b.lines.map((l) => l.text));
    expect(texts.slice(-1)).toEqual([`line ${total} ${pad}`]);
    expect(new Set(texts).size).toBe(total);
  });

  it('keeps a burst of short lines in memory while it fits HELD_BYTES, whatever their number', async () => {
    const sender = new FakeSender();
    sender.connected = false;
    const spool = new LogSpool(spoolDir(), sender, () => 1_700_000_000_000);
    for (let i = 0; i < 200_000; i += 1) spool.append('j', 'build', String(i));
    await spool.flush();
    expect(spool.heldBytes).toBeLessThan(HELD_BYTES);
    // Nothing spilled to be read back: all of it is held.
    expect(spool.heldLines).toBe(200_000);
  });

  it('does not hold acknowledged lines in memory', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    for (let i = 0; i < 3_000; i += 1) spool.append('j', 'build', String(i));
    await spool.flush();
    expect(spool.heldLines).toBe(3_000);
    spool.ack('j', 2_000);
    expect(spool.heldLines).toBe(1_000);
    spool.ack('j', 3_000);
    expect(spool.heldLines).toBe(0);
  });

  it('asks a producer to wait while more lines wait to be written than BACKLOG_LINES', async () => {
    const dir = spoolDir();
    const spool = new LogSpool(dir, new FakeSender());
    for (let i = 0; i < BACKLOG_LINES - 1; i += 1) spool.append('j', 'build', String(i));
    expect(spool.room('j')).toBeNull();
    for (let i = 0; i < BACKLOG_LINES; i += 1) spool.append('j', 'build', String(i));
    const room = spool.room('j');
    expect(room).toBeInstanceOf(Promise);
    let freed = false;
    void room!.then(() => (freed = true));
    await spool.flush();
    expect(freed).toBe(true);
    expect(spool.room('j')).toBeNull();
    expect(linesOnDisk(dir, 'j')).toHaveLength(2 * BACKLOG_LINES - 1);
  });
});
