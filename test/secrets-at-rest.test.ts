import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, pushAppImage, uniqueId } from './support/app-fixture.js';
import { api } from './support/api.js';
import { runningContainerOf } from './support/berth-docker.js';
import {
  QUICK_CHECK,
  createService,
  deployAndWait,
  startStage,
  stopStage,
  type Service,
  type Stage,
} from './support/deploy-helpers.js';
import { dockerOrSkip } from './support/docker.js';
import {
  ManagedProcess,
  REPO_ROOT,
  restartControlPlane,
  waitForAgentConnected,
} from './support/processes.js';

const hasDocker = dockerOrSkip();
const MAIN = join(REPO_ROOT, 'control-plane/dist/main.js');

/** Every file under `dir` whose bytes hold one of `values`. */
async function filesHolding(dir: string, values: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    for (const value of values) if (bytes.includes(value)) found.push(`${path} holds ${value}`);
  }
  return found;
}

/** `rotate-secret-key` on the command line, as an operator runs it. */
async function rotateOnCommandLine(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [MAIN, 'rotate-secret-key'],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function keyFile(stage: Stage): Promise<string> {
  return (await readFile(join(stage.cp.dataDir, 'secret.key'), 'utf8')).trim();
}

describe.skipIf(!hasDocker)('secrets at rest', () => {
  const run = uniqueId();
  const apiKey = `sk-live-${run}-e2e`;
  let stage: Stage;
  let web: Service;
  let secrets: string[];

  beforeAll(async () => {
    stage = await startStage('secrets');
    const image = await pushAppImage({ tag: `secrets-${run}`, version: `secrets-${run}` });
    stage.pulledImages.push(image.image, image.pinned);
    web = await createService(stage, {
      name: 'web',
      source: { type: 'image', image: image.image },
      env: { API_KEY: apiKey, GREETING: 'hello' },
      healthcheck: QUICK_CHECK,
    });
    const db = await createService(stage, {
      name: 'db',
      source: { type: 'database', engine: 'redis' },
    });
    expect(db.connection?.password).toMatch(/.{16,}/);
    secrets = [apiKey, db.connection!.password, ...(await storeOtherSecrets())];
  });

  /**
   * One of every other kind of secret the control plane keeps: a registry password, a git
   * token, a deploy key, a webhook secret, a webhook target's signing secret and a Slack URL,
   * whose path is its token. Returns the values that must never be on disk in plain text.
   */
  async function storeOtherSecrets(): Promise<string[]> {
    const created = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await api<T>(stage.cp, 'POST', path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };
    const registryPassword = `reg-pass-${run}`;
    await created('/api/v1/registries', {
      host: '127.0.0.1:5999',
      username: 'ci',
      password: registryPassword,
    });
    const gitToken = `ghp_${run}token`;
    await created('/api/v1/git-credentials', { type: 'https', username: 'bot', token: gitToken });
    await created('/api/v1/git-credentials', { type: 'ssh' });
    const app = await createService(stage, {
      name: 'app',
      source: { type: 'git', repository: 'http://127.0.0.1:9/app.git', ref: 'main' },
      deployOnPush: true,
    });
    const webhook = await api<{ secret: string }>(
      stage.cp,
      'GET',
      `/api/v1/services/${app.id}/webhook`,
    );
    expect(webhook.body.secret).toMatch(/.{16,}/);
    const target = await created<{ secret?: string }>(
      `/api/v1/projects/${stage.projectId}/notifications`,
      { type: 'webhook', url: 'http://127.0.0.1:9/hooks/berth' },
    );
    expect(target.secret).toMatch(/.{16,}/);
    const slackPath = `T0${run}/B0${run}/slack${run}`;
    await created(`/api/v1/projects/${stage.projectId}/notifications`, {
      type: 'slack',
      url: `http://127.0.0.1:9/services/${slackPath}`,
    });
    // A deploy key is never shown; its PEM-like armour is what a plain copy would carry.
    return [
      registryPassword,
      gitToken,
      webhook.body.secret,
      target.secret!,
      slackPath,
      'OPENSSH PRIVATE KEY',
    ];
  }
  afterAll(() => stopStage(stage));

  async function expectDeploysWithEnv(): Promise<void> {
    await deployAndWait(stage, web.id);
    const container = await runningContainerOf(web.id);
    const env = JSON.parse(
      await docker(['inspect', '--format', '{{json .Config.Env}}', container.id]),
    ) as string[];
    expect(env).toContain(`API_KEY=${apiKey}`);
  }

  async function expectNoPlainSecretOnDisk(): Promise<void> {
    expect(await filesHolding(stage.cp.dataDir, secrets)).toEqual([]);
    expect(await filesHolding(stage.agent.stateDir, secrets)).toEqual([]);
  }

  it('keeps env values, database passwords, credentials and webhook secrets out of every file of the data dir', async () => {
    await expectDeploysWithEnv();
    // The service answers with its values, as before sealing.
    const read = await api<Service>(stage.cp, 'GET', `/api/v1/services/${web.id}`);
    expect(read.body.env).toEqual({ API_KEY: apiKey, GREETING: 'hello' });
    const names = await readdir(stage.cp.dataDir);
    expect(names).toEqual(expect.arrayContaining(['db.json', 'history', 'secret.key']));
    expect(await readFile(join(stage.cp.dataDir, 'db.json'), 'utf8')).toMatch(/"berth:v1:/);
    await expectNoPlainSecretOnDisk();
  });

  it('rotates the key through the API while it runs, and the service still deploys', async () => {
    const before = await keyFile(stage);
    const res = await api<{ keyId: string; previousKeyId: string; keySource: string }>(
      stage.cp,
      'POST',
      '/api/v1/system/rotate-secret-key',
    );
    expect(res.status).toBe(200);
    expect(res.body.keySource).toBe('file');
    expect(res.body.keyId).not.toBe(res.body.previousKeyId);
    expect(JSON.stringify(res.body)).not.toContain(await keyFile(stage));
    expect(await keyFile(stage)).not.toBe(before);
    expect(await readdir(stage.cp.dataDir)).not.toContain('secret.key.next');
    await expectDeploysWithEnv();
    await expectNoPlainSecretOnDisk();
  });

  it('rotates on the command line only while the control plane is stopped', async () => {
    const refused = await rotateOnCommandLine(stage.cp.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the control plane (pid ${stage.cp.process.pid}) is running`);

    await stage.cp.process.stop();
    const before = await keyFile(stage);
    const rotated = await rotateOnCommandLine(stage.cp.env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/The secrets are now sealed under key id [0-9a-f]{16} \(was/);
    const after = await keyFile(stage);
    expect(after).not.toBe(before);
    // The new key is in secret.key; it is not printed when it comes from the data dir.
    expect(rotated.stdout + rotated.stderr).not.toContain(after);

    stage.cp = await restartControlPlane(stage.cp);
    await waitForAgentConnected(stage.agent);
    await expectDeploysWithEnv();
    await expectNoPlainSecretOnDisk();
  });

  it('refuses to start under the wrong key and says which key the data needs', async () => {
    await stage.cp.process.stop();
    const right = await keyFile(stage);
    const keyPath = join(stage.cp.dataDir, 'secret.key');
    await writeFile(keyPath, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    try {
      const wrong = new ManagedProcess('control-plane', MAIN, {
        PATH: process.env.PATH ?? '',
        ...stage.cp.env,
      });
      const exit = await wrong.exited;
      expect(exit.code).toBe(1);
      expect(wrong.output).toMatch(
        new RegExp(
          `db\\.json services\\[\\d\\]\\.env\\.\\w+ is sealed under key id [0-9a-f]{16} but the key in ${keyPath} is key id [0-9a-f]{16}; restore the right secret\\.key`,
        ),
      );
    } finally {
      await writeFile(keyPath, `${right}\n`, { mode: 0o600 });
    }
    stage.cp = await restartControlPlane(stage.cp);
    await waitForAgentConnected(stage.agent);
    await expectDeploysWithEnv();
  });
});
