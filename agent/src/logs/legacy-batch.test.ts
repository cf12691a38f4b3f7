import { describe, expect, it } from 'vitest';
import { LOG_BATCH_END, decodeAgentMessage, encodeLogLine, logRunsStart } from '@berth/protocol';
import { legacyLogBatches } from './legacy-batch.js';

const ts = JSON.stringify('2026-12-02T06:00:00.000Z');

describe('legacyLogBatches', () => {
  it('turns the runs of a log.runs frame into log.batch frames of their lines', () => {
    const lines = Array.from({ length: 2_500 }, (_, i) => `line ${i + 1}`);
    const runs = [
      encodeLogLine(1, ts, 'build', lines.slice(0, 2_499).join('\n'), false),
      encodeLogLine(2_500, ts, 'stderr', lines[2_499]!, true),
    ];
    const frame = Buffer.from(`${logRunsStart('job-1')}${runs.join(',')}${LOG_BATCH_END}`);
    const batches = legacyLogBatches(frame).map((text) => decodeAgentMessage(text));
    expect(batches).toHaveLength(3);
    const sent = batches.flatMap((b) =>
      b.ok && b.message.type === 'log.batch' ? b.message.lines : [],
    );
    expect(sent.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(sent.map((l) => l.text)).toEqual(lines);
    expect(sent.at(-1)).toMatchObject({ stream: 'stderr', continued: true });
    expect(sent[0]).not.toHaveProperty('continued');
  });
});
