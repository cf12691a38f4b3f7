import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalEntry } from './journal.js';

function finishedDeploy(n: number): JournalEntry {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return {
    jobId: `job${n}`,
    serviceId: 'svc1',
    kind: 'deploy',
    status: 'succeeded',
    result: {
      imageId: `sha256:${'a'.repeat(63)}${n % 10}`,
      containerId: 'c'.repeat(64),
      digest: `sha256:${'d'.repeat(64)}`,
      unavailableMs: 700,
      phases: ['reuse', 'create', 'switch', 'start', 'healthcheck', 'cleanup'].map((name) => ({
        name,
        startedAt: at,
        finishedAt: at,
      })),
    },
    lastSeq: 12,
    stoppedContainers: ['b'.repeat(64)],
    deploymentId: `dep${n}`,
    deploymentNumber: n,
    confirmed: false,
    updatedAt: at,
  };
}

describe('Journal', () => {
  it('keeps a finished entry whole until the control plane confirms it', async () => {
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'berth-journal-')));
    await journal.put(finishedDeploy(1));
    expect(journal.get('job1')).toEqual(finishedDeploy(1));
  });

  it('keeps only what the agent reads again of a confirmed entry, in memory and on disk', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-journal-'));
    const journal = new Journal(stateDir);
    await journal.put(finishedDeploy(1));
    await journal.update('job1', { confirmed: true });
    const slim = {
      jobId: 'job1',
      serviceId: 'svc1',
      kind: 'deploy',
      status: 'succeeded',
      result: { imageId: finishedDeploy(1).result.imageId },
      lastSeq: 12,
      stoppedContainers: [],
      deploymentId: 'dep1',
      deploymentNumber: 1,
      confirmed: true,
    };
    expect(journal.get('job1')).toMatchObject(slim);
    expect(journal.get('job1')).not.toHaveProperty('result.phases');
    expect(new Journal(stateDir).get('job1')).toMatchObject(slim);
  });

  it('slims the confirmed entries of a journal written whole by an earlier version', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-journal-'));
    const whole = { ...finishedDeploy(1), confirmed: true, error: 'x' };
    writeFileSync(join(stateDir, 'journal.json'), JSON.stringify({ entries: [whole] }));
    const entry = new Journal(stateDir).get('job1');
    expect(entry).toMatchObject({ jobId: 'job1', result: { imageId: whole.result.imageId } });
    expect(entry).not.toHaveProperty('error');
    expect(entry).not.toHaveProperty('result.phases');
  });

  it('writes at most about 400 bytes per confirmed job, however many it keeps', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'berth-journal-'));
    const journal = new Journal(stateDir);
    for (let n = 1; n <= 100; n += 1) await journal.put({ ...finishedDeploy(n), confirmed: true });
    const bytes = readFileSync(join(stateDir, 'journal.json')).length;
    expect(journal.all()).toHaveLength(100);
    expect(bytes / 100).toBeLessThan(400);
  });
});
