import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_PORT,
  BASE_IMAGE,
  appFiles,
  docker,
  markerOutput,
  uniqueId,
  writeFiles,
} from '../support/app-fixture.js';
import { api } from '../support/api.js';
import { expectServes } from '../support/app-http.js';
import { startAuthRegistry, type AuthRegistry } from '../support/auth-registry.js';
import { inspectImage } from '../support/berth-docker.js';
import {
  QUICK_CHECK,
  createService,
  deployAndWait,
  listDeployments,
  startStage,
  stopStage,
  type Deployment,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { formatLog, hasLine, readLog } from '../support/deploy-logs.js';
import { dockerOrSkip } from '../support/docker.js';
import { GitServer, type GitRepo } from '../support/git-server.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/processes.js';

const hasDocker = dockerOrSkip();

interface RegistryView {
  id: string;
  host: string;
  username: string;
}

/** Every file under dir, as text (the agent's state: journal, spool, identity, work). */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, text: readFileSync(path, 'latin1') }));
}

describe.skipIf(!hasDocker)('private registries', () => {
  const run = uniqueId();
  const wrongPassword = `wrong-${run}-password`;
  let registry: AuthRegistry;
  let stage: Stage;
  let gitServer: GitServer;
  let repo: GitRepo;
  let appImage: string;
  let baseImage: string;
  let imageService: Service;
  let imagePort: number;
  let credential: RegistryView;

  beforeAll(async () => {
    registry = await startAuthRegistry();
    appImage = `${registry.host}/private/app:1`;
    baseImage = `${registry.host}/private/busybox:1`;
    // The app image is built here, copied into the registry, then untagged: the agent can only
    // get it from the registry, with a login.
    const localTag = `berth-e2e-private/app:${run}`;
    const dir = tempDir('private-app');
    writeFiles(dir, appFiles({ version: `private-${run}` }));
    await docker(['build', '-q', '-t', localTag, dir]);
    await registry.push(localTag, 'private/app:1');
    await docker(['image', 'rm', localTag]);
    await registry.push(BASE_IMAGE, 'private/busybox:1');
    stage = await startStage('private-registry');
    stage.pulledImages.push(appImage, baseImage);
    gitServer = await GitServer.start();
    repo = await gitServer.createRepo('private-base');
    imagePort = await freePort();
  });
  afterAll(async () => {
    await stopStage(stage);
    await gitServer?.stop();
    await registry?.stop();
  });

  it('without a credential, the pull fails and says to add one', async () => {
    imageService = await createService(stage, {
      name: 'private-image',
      source: { type: 'image', image: appImage },
      ports: [{ container: APP_PORT, host: imagePort }],
      healthcheck: QUICK_CHECK,
    });
    const failed = await deployAndWait(stage, imageService.id, { expect: 'failed' });
    expect(failed.error).toContain(`authentication failed for ${registry.host}`);
    expect(failed.error).toContain('POST /api/v1/registries');
  });

  it('a wrong password fails the deployment with "authentication failed for <host>"', async () => {
    const created = await api<RegistryView>(stage.cp, 'POST', '/api/v1/registries', {
      host: registry.host,
      username: registry.username,
      password: wrongPassword,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      host: registry.host,
      username: registry.username,
    });
    credential = created.body;
    const duplicate = await api(stage.cp, 'POST', '/api/v1/registries', {
      host: registry.host,
      username: 'someone-else',
      password: 'x',
    });
    expect(duplicate.status).toBe(409);

    const failed = await deployAndWait(stage, imageService.id, { expect: 'failed' });
    const expected = `authentication failed for ${registry.host}`;
    expect(failed.error).toContain(expected);
    const log = await readLog(stage, failed.id);
    expect(
      log.some((line) => line.text.includes(expected)),
      formatLog(log),
    ).toBe(true);
  });

  it('with the right password, an image service deploys from the private registry', async () => {
    const changed = await api(stage.cp, 'PATCH', `/api/v1/registries/${credential.id}`, {
      password: registry.password,
    });
    expect(changed.status).toBe(200);
    const deployed = await deployAndWait(stage, imageService.id, { cache: 'none' });
    expect(deployed.source).toMatchObject({ image: appImage, digest: expect.any(String) });
    await expectServes(imagePort, `private-${run}`);
    const listed = await api<RegistryView[]>(stage.cp, 'GET', '/api/v1/registries');
    expect(listed.body).toEqual([credential]);
  });

  it('a git app FROM a private base image builds with the cache, then Without cache', async () => {
    const port = await freePort();
    const marker = `private-base-${run}`;
    await repo.commit(appFiles({ version: `git-${run}`, base: baseImage, marker }), 'first');
    const service = await createService(stage, {
      name: 'private-base',
      source: { type: 'git', repository: repo.url, ref: 'main' },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
    });
    // The base image is not on the node: the builder pulls it, with the login.
    expect(await inspectImage(baseImage)).toBeNull();
    await deployAndWait(stage, service.id);
    await expectServes(port, `git-${run}`);

    const cold = await deployAndWait(stage, service.id, { cache: 'none' });
    const log = await readLog(stage, cold.id);
    const text = formatLog(log);
    expect(
      hasLine(log, 'system', `Pulling base image ${baseImage} again (without cache)`),
      text,
    ).toBe(true);
    expect(text).not.toContain('using the local copy');
    expect(hasLine(log, 'build', markerOutput(marker)), text).toBe(true);
    expect(text).not.toMatch(/using cache/i);
    await expectServes(port, `git-${run}`);
  });

  it('no password appears in a deployment log, an API answer, a process log or the agent state', async () => {
    const secrets = [registry.password, wrongPassword];
    const deployments: Deployment[] = [];
    for (const serviceId of stage.serviceIds) {
      deployments.push(...(await listDeployments(stage, serviceId)));
    }
    // Three of the image service (no credential, wrong, right), two of the git app.
    expect(deployments).toHaveLength(5);
    const seen: string[] = [JSON.stringify(deployments)];
    for (const deployment of deployments) {
      seen.push(JSON.stringify(await readLog(stage, deployment.id)));
    }
    seen.push(JSON.stringify((await api(stage.cp, 'GET', '/api/v1/registries')).body));
    seen.push(stage.agent.process.output, stage.cp.process.output);
    for (const file of filesUnder(stage.agent.stateDir)) seen.push(file.text);
    for (const secret of secrets) {
      for (const text of seen) expect(text).not.toContain(secret);
    }
    // db.json (a 0600 file) is the one place it is stored, and only sealed.
    const db = readFileSync(join(stage.cp.dataDir, 'db.json'), 'utf8');
    expect(db).not.toContain(registry.password);
    expect(db).toMatch(/"password": "berth:v1:/);
    expect(statSync(join(stage.cp.dataDir, 'db.json')).mode & 0o077).toBe(0);
  });
});
