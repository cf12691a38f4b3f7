import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_LOG_LINE_BYTES,
  logLineSchema,
  type AgentMessageInput,
  type LogLine,
} from '@berth/protocol';
import { decodingLogSender } from '../testing/log-batches.js';
import {
  BACKLOG_LINES,
  BATCH_BYTES,
  BATCH_LINES,
  HELD_LINES,
  LogSpool,
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
  sendLogBatch(jobId: string, frame: Buffer): boolean {
    return this.connected && this.#batchSender.sendLogBatch(jobId, frame);
  }
  seqs(jobId?: string): number[] {
    return this.batches
      .filter((b) => !jobId || b.jobId === jobId)
      .flatMap((b) => b.lines.map((l) => l.seq));
  }
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'berth-spool-'));
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
    const onDisk = readFileSync(join(dir, 'job1.ndjson'), 'utf8').trim().split('\n');
    expect(onDisk.map((l) => (JSON.parse(l) as LogLine).text)).toEqual(
      range(5, 0).map((i) => `line ${i}`),
    );
  });

  it('sends a lone line within the batch interval without being asked', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    spool.append('j', 'build', 'hello');
    await new Promise((r) => setTimeout(r, 200));
    expect(sender.seqs()).toEqual([1]);
  });

  it('groups a burst into frames of at most BATCH_LINES lines', async () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    for (let i = 0; i < 2_345; i += 1) spool.append('j', 'build', String(i));
    await spool.flush();
    expect(sender.seqs()).toEqual(range(2_345));
    expect(sender.batches.length).toBeLessThanOrEqual(4);
    expect(Math.max(...sender.batches.map((b) => b.lines.length))).toBe(BATCH_LINES);
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
    const spool = new LogSpool(spoolDir(), sender);
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
    // the file is whole again: every line parses, in order
    const onDisk = readFileSync(join(dir, 'j.ndjson'), 'utf8').trim().split('\n');
    expect(onDisk.map((l) => logLineSchema.parse(JSON.parse(l)).text)).toEqual([
      'one',
      'two',
      'three',
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

  it('holds a bounded number of lines while disconnected, and resends all of them once, in order', async () => {
    const sender = new FakeSender();
    sender.connected = false;
    const spool = new LogSpool(spoolDir(), sender);
    const total = HELD_LINES * 3 + 123;
    for (let i = 1; i <= total; i += 1) {
      spool.append('j', 'build', `line ${i}`);
      if (i % 5_000 === 0) await spool.flush();
    }
    await spool.flush();
    expect(spool.heldLines).toBeLessThanOrEqual(HELD_LINES);
    expect(spool.pendingLines).toBe(total);

    // Reconnect: the control plane acknowledges each frame; spilled lines are read back.
    sender.connected = true;
    spool.resendAll();
    let maxHeld = 0;
    for (let round = 0; round < 1_000 && spool.pendingLines > 0; round += 1) {
      const last = sender.batches.at(-1)?.lines.at(-1)?.seq ?? 0;
      spool.ack('j', last);
      maxHeld = Math.max(maxHeld, spool.heldLines);
      await spool.flush();
    }
    expect(maxHeld).toBeLessThanOrEqual(HELD_LINES);
    expect(sender.seqs()).toEqual(range(total));
    const texts = sender.batches.flatMap((b) => b.lines.map((l) => l.text));
    expect(texts.slice(-1)).toEqual([`line ${total}`]);
    expect(new Set(texts).size).toBe(total);
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
    const onDisk = readFileSync(join(dir, 'j.ndjson'), 'utf8').trim().split('\n');
    expect(onDisk).toHaveLength(2 * BACKLOG_LINES - 1);
  });
});
