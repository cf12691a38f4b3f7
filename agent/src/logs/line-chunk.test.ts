import { describe, expect, it } from 'vitest';
import type { FileHandle } from 'node:fs/promises';
import { decodeAgentMessage, encodeLogLine, runLines } from '@berth/protocol';
import { LineChunk } from './line-chunk.js';
import { writeAt } from './spool-file.js';

const ts = JSON.stringify('2026-12-02T06:00:00.000Z');

/** A chunk of three runs: lines 1-2, 3, and 4-6. */
function sample(): LineChunk {
  const chunk = new LineChunk(1);
  chunk.push(encodeLogLine(1, ts, 'build', 'a\nb', false), 2);
  chunk.push(encodeLogLine(3, ts, 'stderr', 'é 🚀', false), 1);
  chunk.push(encodeLogLine(4, ts, 'build', 'd\ne\nf', false), 3);
  return chunk;
}

const linesOf = (frame: Buffer) => {
  const decoded = decodeAgentMessage(frame.toString('utf8'));
  if (!decoded.ok || decoded.message.type !== 'log.runs') throw new Error('not a log.runs frame');
  return decoded.message.runs.flatMap(runLines).map((l) => [l.seq, l.text]);
};

describe('LineChunk', () => {
  it('counts lines and runs, and finds the run that holds a line', () => {
    const chunk = sample();
    expect([chunk.count, chunk.runs, chunk.lastSeq]).toEqual([6, 3, 6]);
    expect([1, 2, 3, 4, 6].map((seq) => chunk.runOf(seq))).toEqual([0, 0, 1, 2, 2]);
    expect(chunk.byteLength).toBe(Buffer.concat(chunk.records).length);
  });

  it('frames any span of runs as a log.runs message', () => {
    const chunk = sample();
    expect(linesOf(chunk.frame('job-1', 0, 3)).map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(linesOf(chunk.frame('job-1', 1, 2))).toEqual([[3, 'é 🚀']]);
    expect(chunk.size(1, 3)).toBe(chunk.byteLength - chunk.records[0]!.length);
  });

  it('reads back what it wrote, and joins two chunks', () => {
    const chunk = sample();
    const bytes = Buffer.concat(chunk.records);
    const again = LineChunk.of(1, bytes, chunk.ends, chunk.lastSeqs);
    expect(linesOf(again.frame('j', 0, again.runs))).toEqual(linesOf(chunk.frame('j', 0, 3)));
    const next = new LineChunk(7);
    next.push(encodeLogLine(7, ts, 'build', 'g', false), 1);
    const joined = LineChunk.join(chunk, next);
    expect([joined.firstSeq, joined.lastSeq, joined.runs]).toEqual([1, 7, 4]);
    expect(linesOf(joined.frame('j', 2, 4)).map(([seq]) => seq)).toEqual([4, 5, 6, 7]);
  });
});

describe('writeAt', () => {
  it('writes every buffer in order when the system takes a few bytes a call', async () => {
    const file = Buffer.alloc(64, '.');
    const handle = {
      writev: (buffers: Buffer[], position: number) => {
        // At most 5 bytes a call, across buffer boundaries.
        const all = Buffer.concat(buffers).subarray(0, 5);
        all.copy(file, position);
        return Promise.resolve({ bytesWritten: all.length, buffers });
      },
    } as unknown as FileHandle;
    const parts = ['abc', '', 'defghij', 'k', 'lmnopqrstu'].map((text) => Buffer.from(text));
    await writeAt(handle, parts, 3);
    expect(file.toString('latin1', 0, 26)).toBe('...abcdefghijklmnopqrstu..');
  });
});
