import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followJsonLines } from './streams.js';

describe('followJsonLines', () => {
  it('pauses the stream while the taker has no room, and goes on once it has', async () => {
    const stream = new PassThrough();
    const seen: unknown[] = [];
    let release!: () => void;
    let asked = 0;
    const room = () => {
      asked += 1;
      return asked === 1 ? new Promise<void>((resolve) => (release = resolve)) : null;
    };
    const done = followJsonLines(stream, new AbortController().signal, (e) => seen.push(e), room);
    stream.write('{"stream":"a\\n"}\n{"stream":"b');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ stream: 'a\n' }]);
    expect(stream.isPaused()).toBe(true);
    stream.write('\\n"}\n');
    stream.end('{"stream":"c\\n"}\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1); // nothing more is read while paused
    release();
    await done;
    expect(seen).toEqual([{ stream: 'a\n' }, { stream: 'b\n' }, { stream: 'c\n' }]);
  });
});
