import { mkdtempSync, readdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentMessageInput } from '@berth/protocol';
import { LogSpool } from './log-spool.js';

class FakeSender {
  connected = true;
  batches: { jobId: string; seqs: number[] }[] = [];
  send(message: AgentMessageInput): boolean {
    if (!this.connected) return false;
    if (message.type === 'log.batch') {
      this.batches.push({ jobId: message.jobId, seqs: message.lines.map((l) => l.seq) });
    }
    return true;
  }
  seqs(): number[] {
    return this.batches.flatMap((b) => b.seqs);
  }
}

const spoolDir = () => mkdtempSync(join(tmpdir(), 'berth-spool-'));

describe('LogSpool', () => {
  it('numbers lines from 1 without gaps and sends them', () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    for (let i = 0; i < 5; i += 1) spool.append('job1', 'build', `line ${i}`);
    expect(sender.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(spool.lastSeq('job1')).toBe(5);
  });

  it('keeps lines while disconnected and resends what was not acknowledged', () => {
    const sender = new FakeSender();
    const spool = new LogSpool(spoolDir(), sender);
    spool.append('j', 'system', 'a');
    spool.append('j', 'system', 'b');
    spool.ack('j', 1);
    sender.connected = false;
    spool.append('j', 'stdout', 'c');
    sender.connected = true;
    sender.batches = [];
    spool.resendAll();
    expect(sender.seqs()).toEqual([2, 3]);
  });

  it('deletes the spool file once finished and fully acknowledged', () => {
    const dir = spoolDir();
    const spool = new LogSpool(dir, new FakeSender());
    spool.append('j', 'system', 'a');
    spool.finish('j');
    expect(readdirSync(dir)).toHaveLength(1);
    spool.ack('j', 1);
    expect(readdirSync(dir)).toHaveLength(0);
    expect(spool.pendingLines).toBe(0);
  });

  it('after a restart, resends spooled lines and continues the numbering; a torn line is dropped', () => {
    const dir = spoolDir();
    const first = new LogSpool(dir, new FakeSender());
    first.append('j', 'build', 'one');
    first.append('j', 'build', 'two');
    appendFileSync(join(dir, 'j.ndjson'), '{"seq":3,"ts":"x","str');

    const sender = new FakeSender();
    const second = new LogSpool(dir, sender);
    second.resendAll();
    expect(sender.seqs()).toEqual([1, 2]);
    expect(second.append('j', 'build', 'three').seq).toBe(3);
  });

  it('splits large backlogs into bounded batches', () => {
    const sender = new FakeSender();
    sender.connected = false;
    const spool = new LogSpool(spoolDir(), sender);
    for (let i = 0; i < 1_234; i += 1) spool.append('j', 'build', String(i));
    sender.connected = true;
    spool.resendAll();
    expect(sender.batches.map((b) => b.seqs.length)).toEqual([500, 500, 234]);
    expect(sender.seqs()).toEqual(Array.from({ length: 1_234 }, (_, i) => i + 1));
  });
});
