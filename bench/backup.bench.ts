// A large PostgreSQL backup through the real control plane and agent: a database of about
// BENCH_BACKUP_MB (1024 by default) of random rows, backed up and verified (a test restore into
// a throwaway container), then restored. Prints times, sizes and both processes' RSS; asserts
// nothing. The dump must stream: the agent's RSS should hardly move.
//
//   pnpm bench:backup      (after pnpm build, with test/run.sh's engine images in the registry)
import type { Backup } from '../test/support/databases.js';
import { api } from '../test/support/api.js';
import { getBackup, query, waitForBackup } from '../test/support/databases.js';
import {
  createService,
  deployAndWait,
  postAction,
  startStage,
  stopStage,
  waitForJob,
} from '../test/support/deploy-helpers.js';
import { ensureEngineImages } from '../test/support/engine-images.js';
import { removeDatabaseArtifacts } from '../test/support/databases.js';
import { rssNow, sampleRss } from './stage-memory.js';
import { markdownTable } from './store/figures.js';

const TARGET_MB = Number(process.env.BENCH_BACKUP_MB ?? 1024);
/** Rows of about 1 KB of random hex each, inserted in chunks so no statement runs for long. */
const ROW_BYTES = 1024;
const CHUNK_ROWS = 100_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const images = await ensureEngineImages();
  const stage = await startStage('backup-bench', {
    controlPlaneEnv: { BERTH_BACKUP_TIMEOUT_MS: String(2 * 3_600_000) },
  });
  try {
    const service = await createService(stage, {
      name: 'big-db',
      source: { type: 'database', engine: 'postgres', image: images.postgres },
    });
    await deployAndWait(stage, service.id, { timeoutMs: 300_000 });

    const rows = Math.ceil((TARGET_MB * 1024 * 1024) / ROW_BYTES);
    const filled = performance.now();
    await query('postgres', service, 'CREATE TABLE big (id bigint PRIMARY KEY, payload text)');
    for (let start = 1; start <= rows; start += CHUNK_ROWS) {
      const end = Math.min(rows, start + CHUNK_ROWS - 1);
      await query(
        'postgres',
        service,
        `INSERT INTO big SELECT g, (SELECT string_agg(md5(random()::text || g), '') FROM generate_series(1, 16)) FROM generate_series(${start}, ${end}) g`,
      );
    }
    const size = Number(
      await query('postgres', service, 'SELECT pg_database_size(current_database())'),
    );
    const fillMs = performance.now() - filled;

    const before = rssNow(stage);
    const peaks = sampleRss(stage);
    const started = performance.now();
    const queued = await postAction<{ backup: Backup }>(stage, `/services/${service.id}/backups`);
    const backup = await waitForBackup(stage, queued.body.backup.id, 2 * 3_600_000);
    const backupMs = performance.now() - started;
    const backupPeak = await peaks.stop();
    if (backup.status !== 'succeeded')
      throw new Error(`the backup ${backup.status}: ${backup.error}`);

    const restorePeaks = sampleRss(stage);
    const restoreStarted = performance.now();
    const restore = await postAction<{ job: { id: string } }>(
      stage,
      `/backups/${backup.id}/restore`,
      {
        safetyBackup: false,
      },
    );
    const job = await waitForJob(stage, restore.body.job.id, 2 * 3_600_000);
    const restoreMs = performance.now() - restoreStarted;
    const restorePeak = await restorePeaks.stop();
    const count = await query('postgres', service, 'SELECT count(*) FROM big');
    const verified = await getBackup(stage, backup.id);
    const settings = await api(stage.cp, 'GET', `/api/v1/services/${service.id}`);

    console.log(
      `\nPostgreSQL backup of ${mb(size)} (${rows.toLocaleString('en')} rows, filled in ${seconds(fillMs)})\n`,
    );
    console.log(
      markdownTable(
        ['step', 'time', 'size', 'agent RSS before → peak', 'control plane RSS before → peak'],
        [
          [
            'backup + verify',
            seconds(backupMs),
            `${mb(backup.sizeBytes ?? 0)} dump`,
            `${before.agent.toFixed(0)} → ${backupPeak.agent.toFixed(0)} MB (+${(backupPeak.agent - before.agent).toFixed(0)})`,
            `${before.controlPlane.toFixed(0)} → ${backupPeak.controlPlane.toFixed(0)} MB (+${(backupPeak.controlPlane - before.controlPlane).toFixed(0)})`,
          ],
          [
            'restore',
            seconds(restoreMs),
            job.status,
            `→ ${restorePeak.agent.toFixed(0)} MB`,
            `→ ${restorePeak.controlPlane.toFixed(0)} MB`,
          ],
        ],
      ),
    );
    console.log(
      `\nverified: ${verified.verifiedAt ? 'yes' : 'no'}; rows after restore: ${count}; sha256 ${backup.sha256}; service status ${String((settings.body as { status?: string }).status)}`,
    );
  } finally {
    await stopStage(stage);
    await removeDatabaseArtifacts(stage.serviceIds, stage.environmentId);
  }
}

await main();
