// A large PostgreSQL backup through the agent's own code: the dump streamed into a signed
// upload, then verified by a restore into a throwaway container. Prints the time and the
// growth of this process's RSS (the agent's code and the stand-in file server both run in
// it, so the figure is an upper bound for the agent). Run: pnpm bench:backup
// BERTH_BENCH_BACKUP_MB sets the data size (default 1024).
import { findDatabase, takeBackup } from '../agent/src/database/backup.js';
import { REGISTRY, docker, uniqueId } from '../test/support/app-fixture.js';
import { DatabaseHarness } from '../test/support/database-harness.js';

const SIZE_MB = Number(process.env.BERTH_BENCH_BACKUP_MB ?? 1024);
const ROWS_PER_MB = 1024; // rows of 1 KiB of random bytes: nothing for the dump to compress
const BATCH_MB = 128;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

// The engine test image as test/run.sh pushes it (test/images/build.ts builds it).
const IMAGE = process.env.BERTH_BENCH_POSTGRES_IMAGE ?? `${REGISTRY}/berth-test/postgres:15`;
await docker(['pull', IMAGE], 600_000);
const harness = new DatabaseHarness();
await harness.start();
try {
  const env = { POSTGRES_USER: 'app', POSTGRES_PASSWORD: `pw${uniqueId()}`, POSTGRES_DB: 'appdb' };
  const db = await harness.startService({ engine: 'postgres', image: IMAGE, env });
  await db.sql('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  await db.sql('CREATE TABLE big (id int, payload bytea)');
  // A first small backup warms the code up (JIT, buffers), as in an agent that has run a while.
  const coldRss = process.memoryUsage().rss;
  const warmSpec = { backupId: `bk_${uniqueId()}`, number: 1, verify: false };
  const warmCtx = harness.context(db, { kind: 'backup', backup: warmSpec });
  await takeBackup(warmCtx, harness.deps, await findDatabase(warmCtx), warmSpec);
  console.log(
    `RSS cold ${mb(coldRss)} MB, after a first small backup ${mb(process.memoryUsage().rss)} MB`,
  );
  const filling = Date.now();
  for (let done = 0; done < SIZE_MB; done += BATCH_MB) {
    const first = done * ROWS_PER_MB + 1;
    const last = Math.min(SIZE_MB, done + BATCH_MB) * ROWS_PER_MB;
    await db.sql(
      `INSERT INTO big SELECT g, gen_random_bytes(1024) FROM generate_series(${first}, ${last}) g`,
    );
  }
  console.log(`filled ${SIZE_MB} MB of rows in ${((Date.now() - filling) / 1000).toFixed(1)} s`);

  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const spec = { backupId: `bk_${uniqueId()}`, number: 2, verify: true };
  const ctx = harness.context(db, { kind: 'backup', backup: spec });
  const started = Date.now();
  let verifyingAt: number | undefined;
  const send = harness.deps.send;
  harness.deps.send = (message) => {
    if (message.type === 'backup.progress' && message.phase === 'verifying')
      verifyingAt ??= Date.now();
    return send(message);
  };
  const outcome = await takeBackup(ctx, harness.deps, await findDatabase(ctx), spec);
  const ended = Date.now();
  clearInterval(sampler);
  for (const line of harness.lines) if (line.startsWith('The upload failed')) console.log(line);
  if (outcome.status !== 'succeeded') throw new Error(`the backup failed: ${outcome.error}`);
  const dumpSeconds = ((verifyingAt ?? ended) - started) / 1000;
  console.log(`dump size        ${mb(outcome.sizeBytes ?? 0)} MB, sha256 ${outcome.sha256}`);
  console.log(
    `dump + upload    ${dumpSeconds.toFixed(1)} s (${mb((outcome.sizeBytes ?? 0) / dumpSeconds)} MB/s)`,
  );
  console.log(`verification     ${((ended - (verifyingAt ?? ended)) / 1000).toFixed(1)} s`);
  console.log(
    `total            ${((ended - started) / 1000).toFixed(1)} s, verified at ${outcome.verifiedAt}`,
  );
  console.log(
    `RSS              ${mb(baseline)} MB before, ${mb(peak)} MB peak, growth ${mb(peak - baseline)} MB`,
  );
} finally {
  await harness.stop();
}
