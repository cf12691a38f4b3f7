import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExecDemuxer } from './exec-stream.js';

function frame(kind: 1 | 2, text: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
}

describe('ExecDemuxer', () => {
  it('passes stdout on and hands stderr aside, whatever the chunking', async () => {
    const all = Buffer.concat([frame(1, 'PGDMP'), frame(2, 'warn\n'), frame(1, '-rest')]);
    // One byte at a time: headers and payloads split everywhere.
    const chunks = [...all].map((b) => Buffer.from([b]));
    const stderr: string[] = [];
    const demuxer = new ExecDemuxer((chunk) => stderr.push(chunk.toString()));
    const out: Buffer[] = [];
    Readable.from(chunks).pipe(demuxer);
    for await (const chunk of demuxer as AsyncIterable<Buffer>) out.push(chunk);
    expect(Buffer.concat(out).toString()).toBe('PGDMP-rest');
    expect(stderr.join('')).toBe('warn\n');
  });
});
