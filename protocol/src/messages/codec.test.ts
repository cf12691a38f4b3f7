import { describe, expect, it } from 'vitest';
import { checkProtocolCompatibility, protocolAtLeast } from '../version.js';
import type { LogLine } from '../api/resources.js';
import {
  LOG_BATCH_END,
  MAX_FRAME_BYTES,
  decodeAgentMessage,
  decodeControlPlaneMessage,
  encodeLogLine,
  logRunsStart,
} from './codec.js';
import { runLineCount, runLines, type LogRun } from './common.js';

describe('decodeAgentMessage', () => {
  it('decodes a heartbeat and ignores unknown extra fields', () => {
    const result = decodeAgentMessage(
      JSON.stringify({
        type: 'heartbeat',
        sentAt: '2026-01-01T00:00:00Z',
        docker: null,
        addedInV1_1: 1,
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: { type: 'heartbeat', sentAt: '2026-01-01T00:00:00Z', docker: null, runningJobs: 0 },
    });
  });

  it('names the unknown type', () => {
    const result = decodeAgentMessage('{"type":"bogus"}');
    expect(result).toMatchObject({ ok: false, code: 'UNKNOWN_MESSAGE' });
    expect(!result.ok && result.error).toContain('bogus');
  });

  it('names the bad fields of a known type', () => {
    const result = decodeAgentMessage('{"type":"log.batch","jobId":"j1","lines":[{"seq":0}]}');
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED_FRAME', type: 'log.batch' });
    expect(!result.ok && result.error).toContain('lines.0.seq');
  });

  it.each(['not json', '[1]', 'null', '{"type":5}'])('refuses %j as malformed', (frame) => {
    expect(decodeAgentMessage(frame)).toMatchObject({ ok: false, code: 'MALFORMED_FRAME' });
  });

  it('refuses oversized frames', () => {
    expect(decodeAgentMessage('x'.repeat(MAX_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      code: 'FRAME_TOO_LARGE',
    });
  });
});

describe('decodeControlPlaneMessage', () => {
  it('decodes a welcome', () => {
    const welcome = {
      type: 'welcome',
      serverId: 's',
      name: 'n',
      protocolVersion: '1.3',
      controlPlaneVersion: '0.2.0',
      heartbeatIntervalMs: 5000,
      livenessTimeoutMs: 15000,
      maxFrameBytes: 1024,
    };
    expect(decodeControlPlaneMessage(JSON.stringify(welcome))).toEqual({
      ok: true,
      message: welcome,
    });
  });
});

describe('checkProtocolCompatibility', () => {
  it('accepts a minor gap', () => {
    expect(checkProtocolCompatibility('1.0', '1.7', 'agent').compatible).toBe(true);
  });
  it('refuses a major gap naming both versions', () => {
    const result = checkProtocolCompatibility('1.0', '2.1', 'agent');
    expect(result.compatible).toBe(false);
    expect(result.reason).toContain('1.0');
    expect(result.reason).toContain('2.1');
  });
  it('refuses garbage', () => {
    expect(checkProtocolCompatibility('1.0', 'banana', 'control plane').compatible).toBe(false);
  });
});

describe('encodeLogLine and log.runs frames', () => {
  const ts = '2026-12-02T06:00:00.000Z';
  const texts = [
    'plain',
    '',
    'quote " backslash \\ tab \t',
    '\u001b[31mred\u001b[0m',
    'été 🚀 \uFFFD',
    '\u0000\u001f',
  ];

  it('write what JSON.stringify writes for the same line', () => {
    for (const [i, text] of texts.entries()) {
      for (const continued of [false, true]) {
        const line: LogLine = {
          seq: i + 1,
          ts,
          stream: 'stderr',
          text,
          ...(continued ? { continued: true as const } : {}),
        };
        expect(encodeLogLine(i + 1, JSON.stringify(ts), 'stderr', text, continued)).toBe(
          JSON.stringify(line),
        );
      }
    }
  });

  it('build a log.runs frame the control plane decodes back to the runs and their lines', () => {
    const run = texts.slice(0, 4).join('\n'); // a run: lines joined by newlines
    const encoded = [
      encodeLogLine(1, JSON.stringify(ts), 'build', run, false),
      encodeLogLine(5, JSON.stringify(ts), 'build', texts[4]!, false),
      encodeLogLine(6, JSON.stringify(ts), 'stderr', texts[5]!, true),
    ];
    const result = decodeAgentMessage(
      `${logRunsStart('job "1"')}${encoded.join(',')}${LOG_BATCH_END}`,
    );
    expect(result.ok).toBe(true);
    if (!result.ok || result.message.type !== 'log.runs') return;
    expect(result.message.runs).toEqual(encoded.map((json) => JSON.parse(json) as LogRun));
    const lines = result.message.runs.flatMap(runLines);
    expect(lines.map((l) => [l.seq, l.stream, l.text, l.continued])).toEqual([
      ...texts.slice(0, 4).map((text, i) => [i + 1, 'build', text, undefined]),
      [5, 'build', texts[4], undefined],
      [6, 'stderr', texts[5], true],
    ]);
    expect(runLineCount(run)).toBe(4);
  });

  it('refuses a continuation part that holds more than one line', () => {
    const run = encodeLogLine(1, JSON.stringify(ts), 'build', 'a\nb', true);
    const result = decodeAgentMessage(`${logRunsStart('j')}${run}${LOG_BATCH_END}`);
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED_FRAME' });
  });
});

describe('protocolAtLeast', () => {
  it('compares major, then minor, as numbers', () => {
    expect(protocolAtLeast('1.3', '1.3')).toBe(true);
    expect(protocolAtLeast('1.10', '1.3')).toBe(true);
    expect(protocolAtLeast('2.0', '1.3')).toBe(true);
    expect(protocolAtLeast('1.2', '1.3')).toBe(false);
    expect(protocolAtLeast('0.9', '1.3')).toBe(false);
    expect(protocolAtLeast('banana', '1.3')).toBe(false);
  });
});
