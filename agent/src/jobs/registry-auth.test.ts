import { redactor } from '../logs/redact.js';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentMessageInput, JobSpec, RegistryAuth } from '@berth/protocol';
import { createLogger } from '../log.js';
import { LogSpool } from '../logs/log-spool.js';
import { decodingLogSender } from '../testing/log-batches.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { JobRunner } from './job-runner.js';
import { Journal } from './journal.js';
import {
  credentialsForBases,
  isAuthRefusal,
  isBuildAuthRefusal,
  registrySecrets,
  refusingHost,
} from './registry-auth.js';

const PASSWORD = 's3cret-Registry-Pass';
const LOGIN: RegistryAuth = { host: 'reg.test:5001', username: 'ci', password: PASSWORD };
const IMAGE = 'reg.test:5001/private/web:1';

describe('registry auth helpers', () => {
  it("recognises the engine's refusals, not other pull failures", () => {
    expect(
      isAuthRefusal('Head "http://127.0.0.1:5001/v2/a/manifests/1": no basic auth credentials'),
    ).toBe(true);
    expect(isAuthRefusal('unauthorized: authentication required')).toBe(true);
    expect(isAuthRefusal('manifest for 127.0.0.1:5001/a:1 not found: manifest unknown')).toBe(
      false,
    );
    expect(isAuthRefusal('dial tcp: lookup registry-1.docker.io: no such host')).toBe(false);
  });

  it('does not take a failed RUN step that printed "unauthorized" for a refused login', () => {
    expect(isBuildAuthRefusal('unauthorized: authentication required')).toBe(true);
    expect(
      isBuildAuthRefusal(
        "The command '/bin/sh -c curl -f https://api/unauthorized' returned a non-zero code: 22",
      ),
    ).toBe(false);
  });

  it('keeps the credentials whose host a FROM line names', () => {
    const other = { ...LOGIN, host: 'ghcr.io' };
    expect(credentialsForBases([LOGIN, other], [IMAGE, 'busybox:1'])).toEqual([LOGIN]);
    expect(credentialsForBases(undefined, [IMAGE])).toEqual([]);
  });

  it("names the registry a build's refusal came from", () => {
    const bases = ['busybox:1', IMAGE];
    expect(refusingHost('unauthorized: authentication required', bases, [LOGIN])).toBe(
      'reg.test:5001',
    );
    expect(
      refusingHost('Head "http://reg.test:5001/v2/": no basic auth credentials', bases, []),
    ).toBe('reg.test:5001');
  });

  it('takes every password, and its basic-auth form, out of a line', () => {
    const redact = redactor(registrySecrets([LOGIN]));
    const basic = Buffer.from(`ci:${PASSWORD}`).toString('base64');
    expect(redact(`login ${PASSWORD} / Basic ${basic} refused`)).toBe(
      'login [redacted] / Basic [redacted] refused',
    );
    expect(redactor(registrySecrets(undefined))('unchanged')).toBe('unchanged');
  });
});

function spec(jobId: string, registryAuth?: RegistryAuth[]): JobSpec {
  return {
    jobId,
    kind: 'deploy',
    service: {
      id: 'svc1',
      name: 'web',
      source: { type: 'image', image: IMAGE },
      ports: [],
      env: {},
      healthcheck: { type: 'running', seconds: 0 },
    },
    deployment: { id: `dep-${jobId}`, number: 1, cache: 'none', trigger: 'deploy' },
    deadlineAt: new Date(Date.now() + 60_000).toISOString(),
    ...(registryAuth ? { registryAuth } : {}),
  };
}

/** Every file under dir, read as text. */
function allFiles(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
}

function setup() {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-registry-auth-'));
  const engine = new FakeEngine();
  engine.registry.set(IMAGE, {
    id: engine.newImageId(),
    tags: [IMAGE],
    repoDigests: [],
    labels: {},
  });
  engine.logins.set('reg.test:5001', { username: 'ci', password: PASSWORD });
  const sent: AgentMessageInput[] = [];
  const send = (m: AgentMessageInput) => (sent.push(m), true);
  const loggerLines: string[] = [];
  const runner = new JobRunner({
    engine,
    journal: new Journal(stateDir),
    spool: new LogSpool(join(stateDir, 'spool'), decodingLogSender(send)),
    send,
    workDir: join(stateDir, 'work'),
    logger: createLogger((_level, line) => loggerLines.push(line)),
  });
  const finished = async () => {
    for (let i = 0; i < 200; i += 1) {
      const done = sent.find((m) => m.type === 'job.finished');
      if (done?.type === 'job.finished') return done;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the job did not finish');
  };
  return { engine, runner, sent, stateDir, loggerLines, finished };
}

describe('a deploy from a registry that wants a login', () => {
  it('pulls with the credential for the image host', async () => {
    const { engine, runner, finished } = setup();
    runner.handleAssign(spec('ok', [{ ...LOGIN, host: 'ghcr.io' }, LOGIN]));
    expect(await finished()).toMatchObject({ status: 'succeeded' });
    expect(engine.pullAuths).toEqual([LOGIN]);
  });

  it('fails with "authentication failed for <host>" on a wrong password', async () => {
    const { runner, finished } = setup();
    runner.handleAssign(spec('wrong', [{ ...LOGIN, password: 'not-it' }]));
    const done = await finished();
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^authentication failed for reg\.test:5001: the registry refused/);
  });

  it('fails as clearly without a credential, saying how to add one', async () => {
    const { runner, finished } = setup();
    runner.handleAssign(spec('none'));
    const done = await finished();
    expect(done.error).toMatch(
      /^authentication failed for reg\.test:5001: .*POST \/api\/v1\/registries/,
    );
  });

  it('writes the password nowhere, even when the engine echoes it', async () => {
    const { engine, runner, sent, stateDir, loggerLines, finished } = setup();
    engine.pullImage = (reference) =>
      Promise.reject(new Error(`unauthorized: ${reference} refused ci:${PASSWORD}`));
    runner.handleAssign(spec('echo', [LOGIN]));
    const done = await finished();
    expect(done.error).toContain('ci:[redacted]');
    const logs = JSON.stringify(sent);
    expect(logs).toContain('[redacted]');
    expect(logs).not.toContain(PASSWORD);
    expect(allFiles(stateDir)).not.toContain(PASSWORD);
    expect(loggerLines.join('\n')).not.toContain(PASSWORD);
  });
});
