import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api.js';
import { APP_PORT, appFiles, uniqueId } from '../support/app-fixture.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  deploy,
  deployAndWait,
  startStage,
  stopStage,
  waitForFinished,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { formatLog, readLog } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitHttpServer } from '../support/git-http-server.js';
import { freePort } from '../support/ports.js';
import { SSHD, SshGitServer } from '../support/sshd.js';

const hasDocker = dockerOrSkip();
if (!existsSync(SSHD) && process.env.CI === 'true')
  throw new Error(`CI=true but ${SSHD} is missing: apt-get install -y openssh-server`);

interface HostKeyView {
  host: string;
  fingerprint: string;
  origin: string;
}
interface CredentialView {
  id: string;
  type: string;
  publicKey?: string;
  username?: string;
  hostKeys?: HostKeyView[];
}

async function credential(stage: Stage, body: unknown): Promise<CredentialView> {
  const res = await api<CredentialView>(stage.cp, 'POST', '/api/v1/git-credentials', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function getCredential(stage: Stage, id: string): Promise<CredentialView> {
  return (await api<CredentialView>(stage.cp, 'GET', `/api/v1/git-credentials/${id}`)).body;
}

/** Every file under `dir` whose content holds `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isFile() && readFileSync(path).includes(secret)) found.push(path);
  }
  return found;
}

/** The command lines of all processes now running that hold `secret`. */
function commandLinesHolding(secret: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.includes(secret)) found.push(cmdline.toString().replace(/\0/g, ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe.skipIf(!hasDocker || !existsSync(SSHD))('private git sources', () => {
  const run = uniqueId();
  let stage: Stage;
  let sshd: SshGitServer;
  let http: GitHttpServer;
  const token = `tok-${run}-Zq8w`;

  beforeAll(async () => {
    sshd = await SshGitServer.start();
    http = await GitHttpServer.start({ username: 'deploy', token });
    stage = await startStage('private-git');
  });
  afterAll(async () => {
    await stopStage(stage);
    await sshd?.stop();
    await http?.stop();
  });

  describe('over SSH with a deploy key', () => {
    let service: Service;
    let port: number;
    let cred: CredentialView;

    it('deploys once the deploy key is authorized, and shows the host key it learned', async () => {
      const repo = await sshd.createRepo('app');
      await repo.commit(appFiles({ version: `ssh-v1-${run}` }), 'v1');
      cred = await credential(stage, { type: 'ssh', name: 'app deploy key' });
      expect(cred.publicKey).toMatch(new RegExp(`^ssh-ed25519 AAAA\\S+ berth-${cred.id}$`));
      expect(JSON.stringify(cred)).not.toContain('PRIVATE KEY');
      expect(cred.hostKeys).toEqual([]);
      port = await freePort();
      service = await createService(stage, {
        name: 'ssh-app',
        source: { type: 'git', repository: repo.url, ref: 'main', credentialId: cred.id },
        ports: [{ container: APP_PORT, host: port, hostIp: '127.0.0.1' }],
        healthcheck: QUICK_CHECK,
      });

      // The server does not know the key yet: a clear refusal.
      const refused = await waitForFinished(stage, await deploy(stage, service.id));
      expect(refused.deployment.status).toBe('failed');
      expect(refused.deployment.error).toContain(
        `refused the deploy key of git credential ${cred.id}`,
      );

      sshd.authorize(cred.publicKey!);
      await deployAndWait(stage, service.id);
      await expectServes(port, `ssh-v1-${run}`);
      const shown = await getCredential(stage, cred.id);
      expect(shown.hostKeys).toEqual([
        expect.objectContaining({
          host: `[127.0.0.1]:${sshd.port}`,
          fingerprint: await sshd.hostKeyFingerprint(),
          origin: 'learned',
        }),
      ]);
    });

    it('refuses a server whose host key changed, naming both fingerprints', async () => {
      const trusted = await sshd.hostKeyFingerprint();
      await sshd.changeHostKey();
      const presented = await sshd.hostKeyFingerprint();
      expect(presented).not.toBe(trusted);
      const { deployment } = await waitForFinished(stage, await deploy(stage, service.id, 'none'));
      expect(deployment.status, formatLog(await readLog(stage, deployment.id))).toBe('failed');
      expect(deployment.error).toContain('does not match');
      expect(deployment.error).toContain(trusted);
      expect(deployment.error).toContain(presented);
      // The trusted key stays; the running release is untouched.
      expect((await getCredential(stage, cred.id)).hostKeys?.map((k) => k.fingerprint)).toEqual([
        trusted,
      ]);
      await expectServes(port, `ssh-v1-${run}`);
    });
  });

  describe('over HTTPS with a token', () => {
    let service: Service;
    let cred: CredentialView;

    it('deploys, and the token shows in no log, file or command line', async () => {
      const repo = await http.createRepo('app');
      await repo.commit(appFiles({ version: `http-v1-${run}` }), 'v1');
      cred = await credential(stage, { type: 'https', username: 'deploy', token });
      expect(JSON.stringify(cred)).not.toContain(token);
      const port = await freePort();
      service = await createService(stage, {
        name: 'http-app',
        source: { type: 'git', repository: repo.url, ref: 'main', credentialId: cred.id },
        ports: [{ container: APP_PORT, host: port, hostIp: '127.0.0.1' }],
        healthcheck: QUICK_CHECK,
      });
      const exposed: string[] = [];
      let samples = 0;
      http.onAuthorized = () => {
        samples += 1;
        exposed.push(...commandLinesHolding(token));
      };
      const deployment = await deployAndWait(stage, service.id);
      http.onAuthorized = null;
      await expectServes(port, `http-v1-${run}`);

      expect(http.requests.filter((r) => r.user === 'deploy').length).toBeGreaterThan(0);
      expect(samples).toBeGreaterThan(0);
      expect(exposed).toEqual([]);
      const log = await readLog(stage, deployment.id);
      expect(log.filter((line) => line.text.includes(token))).toEqual([]);
      expect(filesHolding(stage.agent.stateDir, token)).toEqual([]);
      expect(readdirSync(join(stage.agent.stateDir, 'work'))).toEqual([]);
      expect(stage.agent.process.output).not.toContain(token);
    });

    it('fails a wrong token with a clear message', async () => {
      const wrong = `wrong-${run}`;
      const patched = await api(stage.cp, 'PATCH', `/api/v1/git-credentials/${cred.id}`, {
        token: wrong,
      });
      expect(patched.status).toBe(200);
      const requestsBefore = http.requests.length;
      const { deployment } = await waitForFinished(stage, await deploy(stage, service.id, 'none'));
      expect(deployment.status).toBe('failed');
      expect(deployment.error).toContain('authentication failed for 127.0.0.1');
      expect(deployment.error).not.toContain(wrong);
      const log = await readLog(stage, deployment.id);
      expect(log.filter((line) => line.text.includes(wrong))).toEqual([]);
      // git did offer the (wrong) token it got from the credential, and was refused.
      const rejected = http.requests.slice(requestsBefore).filter((r) => r.sentCredentials);
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected.every((r) => r.user === null)).toBe(true);
    });
  });
});
