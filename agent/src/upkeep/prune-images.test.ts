import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../jobs/journal.js';
import { FakeEngine } from '../testing/fake-engine.js';
import { pruneImages } from './prune-images.js';

describe('pruneImages', () => {
  it('keeps the last N successful deployments of each service and images in use', async () => {
    const engine = new FakeEngine();
    const journal = new Journal(mkdtempSync(join(tmpdir(), 'berth-prune-')));
    const ids: string[] = [];
    for (let n = 1; n <= 8; n += 1) {
      const id = engine.newImageId();
      ids.push(id);
      engine.images.set(id, {
        id,
        tags: [`berth/svc1:${n}`],
        repoDigests: [],
        labels: { 'berth.service': 'svc1' },
      });
      await journal.put({
        jobId: `j${n}`,
        serviceId: 'svc1',
        kind: 'deploy',
        status: n === 8 ? 'failed' : 'succeeded',
        result: { imageId: id },
        lastSeq: 1,
        stoppedContainers: [],
        deploymentNumber: n,
        confirmed: true,
        updatedAt: new Date().toISOString(),
      });
    }
    // a pulled image with its own registry tag, used by deployment 1 only
    const pulled = engine.newImageId();
    engine.images.set(pulled, {
      id: pulled,
      tags: ['reg.test/web:v1', 'berth/svc2:1'],
      repoDigests: [],
      labels: {},
    });
    const unrelated = engine.newImageId();
    engine.images.set(unrelated, {
      id: unrelated,
      tags: ['postgres:16'],
      repoDigests: [],
      labels: {},
    });
    // image 1 is still used by a container
    await engine.createContainer({
      name: 'c',
      image: ids[0]!,
      env: {},
      labels: { 'berth.service': 'svc1' },
      ports: [],
    });

    const result = await pruneImages(engine, journal, 5);
    const left = [...engine.images.keys()];
    // successes are 1..7; keep 3..7, plus 1 (in use); 2 and the failed 8 go
    expect(left).toEqual(
      expect.arrayContaining([ids[0], ids[2], ids[3], ids[4], ids[5], ids[6], unrelated, pulled]),
    );
    expect(left).not.toContain(ids[1]);
    expect(left).not.toContain(ids[7]);
    expect(result.removed).toEqual(expect.arrayContaining([ids[1], ids[7], pulled]));
  });
});
