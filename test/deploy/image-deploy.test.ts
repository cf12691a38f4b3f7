import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_PORT, pushAppImage, uniqueId, type PushedImage } from '../support/app-fixture.js';
import { runningContainerOf } from '../support/berth-docker.js';
import { expectServes } from '../support/app-http.js';
import {
  QUICK_CHECK,
  createService,
  deployAndWait,
  expectDeploymentStatus,
  listDeployments,
  patchService,
  rollback,
  startStage,
  stopStage,
  waitForFinished,
  type Deployment,
  type Service,
  type Stage,
} from '../support/deploy-helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { freePort } from '../support/ports.js';

const hasDocker = dockerOrSkip();

describe.skipIf(!hasDocker)('image service deployments', () => {
  const run = uniqueId();
  let stage: Stage;
  let service: Service;
  let port: number;
  let one: PushedImage;
  let two: PushedImage;

  /** Pushes an image and remembers it for cleanup, since the agent pulls it onto this engine. */
  async function push(tag: string, version: string): Promise<PushedImage> {
    const pushed = await pushAppImage({ tag, version });
    stage.pulledImages.push(pushed.image, pushed.pinned);
    return pushed;
  }

  beforeAll(async () => {
    stage = await startStage('image-deploy');
    port = await freePort();
    one = await push(`one-${run}`, `one-${run}`);
    two = await push(`two-${run}`, `two-${run}`);
  });
  afterAll(() => stopStage(stage));

  it('deploys an image service, then moves it from one tag to another', async () => {
    service = await createService(stage, {
      name: 'img',
      source: { type: 'image', image: one.image },
      ports: [{ container: APP_PORT, host: port }],
      healthcheck: QUICK_CHECK,
    });
    const first = await deployAndWait(stage, service.id);
    expect(first).toMatchObject({
      number: 1,
      trigger: 'deploy',
      cache: 'use-existing',
      source: { type: 'image', image: one.image, digest: one.digest },
    });
    await expectServes(port, `one-${run}`);
    const container = await runningContainerOf(service.id);
    expect(container.labels).toMatchObject({
      'berth.service': service.id,
      'berth.deployment': first.id,
    });
    expect(container.init).toBe(true);

    await patchService(stage, service.id, { source: { type: 'image', image: two.image } });
    const second = await deployAndWait(stage, service.id);
    expect(second).toMatchObject({
      number: 2,
      trigger: 'redeploy',
      source: { type: 'image', image: two.image, digest: two.digest },
    });
    await expectServes(port, `two-${run}`);
    expect((await runningContainerOf(service.id)).labels['berth.deployment']).toBe(second.id);

    const history = await listDeployments(stage, service.id);
    expect(history.map((d) => [d.number, d.status, sourceDigest(d)])).toEqual([
      [2, 'succeeded', two.digest],
      [1, 'succeeded', one.digest],
    ]);
  });

  it("records each deployment's timeline, in the API and as histograms on /metrics", async () => {
    const [latest] = await listDeployments(stage, service.id);
    const names = latest!.phases.map((p) => p.name);
    // The image is found on the node or pulled; then the release handed over host ports.
    expect(['reuse', 'pull']).toContain(names[2]);
    expect(names.filter((n) => n !== 'reuse' && n !== 'pull')).toEqual([
      'queued',
      'dispatch',
      'create',
      'switch',
      'start',
      'healthcheck',
      'cleanup',
    ]);
    for (const phase of latest!.phases) {
      expect(Date.parse(phase.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(phase.startedAt));
    }
    expect(latest!.phases[0]!.startedAt).toBe(latest!.createdAt);

    const metrics = await (await fetch(`${stage.cp.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE berth_deployment_phase_seconds histogram');
    expect(metrics).toMatch(
      /^berth_deployment_phase_seconds_count\{phase="healthcheck",status="succeeded"\} [1-9]/m,
    );
  });

  it('runs exactly the image an @sha256 digest pins', async () => {
    await patchService(stage, service.id, { source: { type: 'image', image: one.pinned } });
    const pinned = await deployAndWait(stage, service.id);
    expect(pinned.source).toMatchObject({ type: 'image', image: one.pinned, digest: one.digest });
    await expectServes(port, `one-${run}`);
  });

  it('a re-pushed mutable tag: with cache the old content stays, without cache the new content arrives', async () => {
    const tag = `stable-${run}`;
    const a = await push(tag, `stable-A-${run}`);
    await patchService(stage, service.id, { source: { type: 'image', image: a.image } });
    const onA = await deployAndWait(stage, service.id);
    expect(onA.source).toMatchObject({ digest: a.digest });
    await expectServes(port, `stable-A-${run}`);

    const b = await push(tag, `stable-B-${run}`);
    expect(b.image).toBe(a.image);
    expect(b.digest).not.toBe(a.digest);

    const cached = await deployAndWait(stage, service.id, { cache: 'use-existing' });
    expect(cached).toMatchObject({ cache: 'use-existing', source: { digest: a.digest } });
    await expectServes(port, `stable-A-${run}`);

    const fresh = await deployAndWait(stage, service.id, { cache: 'none' });
    expect(fresh).toMatchObject({ cache: 'none', source: { image: a.image, digest: b.digest } });
    await expectServes(port, `stable-B-${run}`);

    // rolling back to the deployment of A runs A's digest, though the tag now names B
    const back = await waitForFinished(stage, await rollback(stage, onA.id));
    await expectDeploymentStatus(stage, back.deployment, 'succeeded');
    expect(back.deployment).toMatchObject({ trigger: 'rollback', source: { digest: a.digest } });
    await expectServes(port, `stable-A-${run}`);
  });
});

function sourceDigest(deployment: Deployment): string | undefined {
  return deployment.source.type === 'image' ? deployment.source.digest : undefined;
}
