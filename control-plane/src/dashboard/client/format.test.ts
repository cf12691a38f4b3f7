import type { Deployment } from '@berth/protocol';
import { describe, expect, it } from 'vitest';
import {
  certificateText,
  duration,
  humanBytes,
  phaseSpans,
  relativeTime,
  revisionOf,
  timelineTotal,
} from './format.js';

const base: Deployment = {
  id: 'dep_1',
  serviceId: 'svc_1',
  number: 1,
  status: 'succeeded',
  cache: 'use-existing',
  phases: [],
  trigger: 'deploy',
  source: {
    type: 'git',
    repository: 'https://example.com/a.git',
    ref: 'main',
    dockerfile: 'Dockerfile',
    context: '.',
  },
  createdAt: '2025-01-01T00:00:00.000Z',
};

describe('format', () => {
  it('shows durations briefly', () => {
    expect(duration(840)).toBe('0.8 s');
    expect(duration(42_000)).toBe('42 s');
    expect(duration(185_000)).toBe('3 min 05 s');
    expect(duration(3_720_000)).toBe('1 h 02 min');
  });

  it('measures a running deployment up to now and a finished one to its end, queue included', () => {
    const running = { ...base, status: 'building' as const };
    expect(timelineTotal(running, Date.parse('2025-01-01T00:00:05Z'))).toBe(5_000);
    expect(timelineTotal({ ...base, finishedAt: '2025-01-01T00:00:02.500Z' })).toBe(2_500);
  });

  it('places each phase on the time axis of the deployment', () => {
    const deployment: Deployment = {
      ...base,
      status: 'deploying',
      phases: [
        {
          name: 'queued',
          startedAt: '2025-01-01T00:00:00.000Z',
          finishedAt: '2025-01-01T00:00:00.100Z',
        },
        {
          name: 'build',
          startedAt: '2025-01-01T00:00:00.100Z',
          finishedAt: '2025-01-01T00:00:41.100Z',
        },
        { name: 'healthcheck', startedAt: '2025-01-01T00:00:41.100Z' },
      ],
    };
    expect(phaseSpans(deployment, Date.parse('2025-01-01T00:00:53.100Z'))).toEqual([
      { name: 'queued', offsetMs: 0, ms: 100, running: false },
      { name: 'build', offsetMs: 100, ms: 41_000, running: false },
      { name: 'healthcheck', offsetMs: 41_100, ms: 12_000, running: true },
    ]);
  });

  it('says how long ago', () => {
    const now = Date.parse('2025-01-01T01:00:00Z');
    expect(relativeTime('2025-01-01T00:59:58Z', now)).toBe('just now');
    expect(relativeTime('2025-01-01T00:59:30Z', now)).toBe('30 s ago');
    expect(relativeTime('2025-01-01T00:15:00Z', now)).toBe('45 min ago');
    expect(relativeTime(null, now)).toBe('never');
  });

  it('shortens a commit to 7 characters and a digest to 12, keeping the full value', () => {
    const sha = 'a'.repeat(40);
    const git = { ...base, source: { ...base.source, commit: sha } } as Deployment;
    expect(revisionOf(git)).toEqual({ full: sha, short: 'aaaaaaa', resolved: true });
    const digest = `sha256:${'b'.repeat(64)}`;
    const image = { ...base, source: { type: 'image', image: 'nginx:1.27', digest } } as Deployment;
    expect(revisionOf(image)).toEqual({
      full: digest,
      short: `sha256:${'b'.repeat(12)}`,
      resolved: true,
    });
    expect(revisionOf(base)).toEqual({ full: 'main', short: 'main', resolved: false });
  });
});

describe('humanBytes', () => {
  it('uses the largest unit below 1024', () => {
    expect(humanBytes(0)).toBe('0 B');
    expect(humanBytes(1023)).toBe('1023 B');
    expect(humanBytes(4300)).toBe('4.2 KB');
    expect(humanBytes(1.5 * 1024 * 1024)).toBe('1.5 MB');
    expect(humanBytes(300 * 1024 ** 3)).toBe('300 GB');
  });
});

describe('certificateText', () => {
  const domain = {
    host: 'a.example.com',
    port: 80,
    https: true,
    redirectHttp: true,
    tls: 'acme' as const,
  };
  it('says pending, issued with its end, or failed with the reason', () => {
    expect(certificateText(undefined, domain)).toBe('pending');
    expect(certificateText({ host: domain.host, certificate: 'pending' }, domain)).toBe('pending');
    const issued = certificateText(
      { host: domain.host, certificate: 'issued', expiresAt: '2027-03-04T05:06:07.000Z' },
      domain,
    );
    expect(issued).toMatch(/^issued, expires .*2027/);
    expect(
      certificateText(
        { host: domain.host, certificate: 'failed', error: 'DNS problem: NXDOMAIN' },
        domain,
      ),
    ).toBe('failed: DNS problem: NXDOMAIN');
    expect(certificateText(undefined, { ...domain, https: false })).toBe('HTTP only');
  });
});
