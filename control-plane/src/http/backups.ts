import {
  AGENT_REQUEST_MAX_SKEW_MS,
  exposeBodySchema,
  listBackupsQuerySchema,
  parseAgentAuthorization,
  requestSigningPayload,
  restoreBodySchema,
  createBackupBodySchema,
} from '@berth/protocol';
import { Hono, type Context } from 'hono';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Now } from '../clock.js';
import { verifyEd25519 } from '../crypto.js';
import type { BackupFiles } from '../databases/backup-files.js';
import { BerthError, describeError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueEvents } from '../queue/queue-events.js';
import type { BackupRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { parseQuery, readBody } from './body.js';
import { acceptedView, backupView } from './views.js';

export interface BackupDeps {
  store: Store;
  queue: JobQueue;
  events: QueueEvents;
  files: BackupFiles;
  now: Now;
  log: Logger;
}

/** The file a download sends, streamed from disk. */
async function fileResponse(c: Context, files: BackupFiles, backup: BackupRecord, name: string) {
  const file = await files.open(backup);
  if (!file) {
    throw new BerthError('NOT_FOUND', `Backup #${backup.number} has no stored file`);
  }
  return new Response(Readable.toWeb(file.stream) as ReadableStream, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(file.sizeBytes),
      'Content-Disposition': `attachment; filename="${name}"`,
    },
  });
}

/** Expose, unexpose, backups and restores: `/api/v1`, behind the admin token. */
export function backupRoutes(deps: BackupDeps): Hono {
  const app = new Hono();
  const { store, queue, files } = deps;

  const backupOr404 = async (id: string) => {
    const backup = await store.history.backup(id);
    if (!backup) throw notFound('backup', id);
    return backup;
  };

  app.post('/services/:id/expose', async (c) =>
    c.json(
      acceptedView(await queue.expose(c.req.param('id'), await readBody(c, exposeBodySchema))),
      202,
    ),
  );

  app.post('/services/:id/unexpose', async (c) =>
    c.json(acceptedView(await queue.unexpose(c.req.param('id'))), 202),
  );

  app.post('/services/:id/backups', async (c) => {
    await readBody(c, createBackupBodySchema);
    return c.json(acceptedView(await queue.backup(c.req.param('id'), 'manual')), 202);
  });

  app.get('/services/:id/backups', async (c) => {
    const serviceId = c.req.param('id');
    if (!store.services.config(serviceId)) throw notFound('service', serviceId);
    const query = parseQuery(c, listBackupsQuerySchema);
    let beforeNumber: number | undefined;
    if (query.before !== undefined) {
      beforeNumber = /^\d+$/.test(query.before)
        ? Number(query.before)
        : (await backupOr404(query.before)).number;
    }
    const list = await store.history.backups(serviceId, {
      limit: query.limit,
      ...(beforeNumber === undefined ? {} : { beforeNumber }),
    });
    return c.json(list.map(backupView));
  });

  app.get('/backups/:id', async (c) => c.json(backupView(await backupOr404(c.req.param('id')))));

  app.get('/backups/:id/download', async (c) => {
    const backup = await backupOr404(c.req.param('id'));
    if (backup.status !== 'succeeded') {
      throw new BerthError(
        'NOT_SUCCEEDED',
        `Backup #${backup.number} is ${backup.status}; only a succeeded backup can be downloaded`,
        { status: 409 },
      );
    }
    return fileResponse(c, files, backup, files.fileName(backup));
  });

  app.post('/backups/:id/restore', async (c) => {
    const body = await readBody(c, restoreBodySchema);
    return c.json(acceptedView(await queue.restore(c.req.param('id'), body)), 202);
  });

  return app;
}

/**
 * Checks an agent's signed request: the signature over method, path and time with the key its
 * server enrolled with, a time near ours, and that the backup belongs to that server.
 */
function authorizeAgent(deps: BackupDeps, c: Context, backup: BackupRecord): void {
  const auth = parseAgentAuthorization(c.req.header('authorization'));
  const refuse = (message: string) => new BerthError('AUTH_FAILED', message, { status: 401 });
  if (!auth) throw refuse('a signed Berth-Agent authorization is required');
  if (Math.abs(deps.now() - auth.timeMs) > AGENT_REQUEST_MAX_SKEW_MS) {
    throw refuse("the request's time is too far from the control plane's clock; check NTP");
  }
  const key = deps.store.servers.isRevoked(auth.agentId)
    ? null
    : deps.store.servers.publicKey(auth.agentId);
  const payload = requestSigningPayload(c.req.method, c.req.path, auth.agentId, auth.timeMs);
  if (!key || !verifyEd25519(key, payload, auth.signature)) {
    throw refuse('the signature does not match an enrolled server');
  }
  // The server that took it, or the one that runs its service now (a restore there).
  const service = deps.store.services.config(backup.serviceId);
  const runsOn = service && deps.store.environments.get(service.environmentId)?.serverId;
  if (backup.serverId !== auth.agentId && runsOn !== auth.agentId) {
    throw new BerthError('NOT_FOUND', `backup "${backup.id}" not found`);
  }
}

/** The agent's side: upload of a dump as it is taken, and download for verification and restore. */
export function agentBackupRoutes(deps: BackupDeps): Hono {
  const app = new Hono();
  const { store, files, log } = deps;

  const backupOr404 = async (id: string) => {
    const backup = await store.history.backup(id);
    if (!backup) throw notFound('backup', id);
    return backup;
  };

  app.put('/agent/v1/backups/:id/file', async (c) => {
    const backup = await backupOr404(c.req.param('id'));
    authorizeAgent(deps, c, backup);
    if (backup.status !== 'running') {
      throw new BerthError(
        'CONFLICT',
        `Backup #${backup.number} is ${backup.status}; only a running backup takes an upload`,
        { status: 409 },
      );
    }
    const body = c.req.raw.body;
    if (!body) throw new BerthError('INVALID_INPUT', 'the upload has no body');
    let stored;
    try {
      stored = await files.receive(backup, Readable.fromWeb(body as WebReadableStream));
    } catch (err) {
      log.warn(`upload of backup ${backup.id} failed: ${describeError(err)}`);
      throw new BerthError('INVALID_INPUT', `the upload did not complete: ${describeError(err)}`);
    }
    const accepted = await store.history.updateBackup(backup.id, (record) => {
      if (record.status !== 'running') return false;
      record.stored = stored;
      return true;
    });
    if (!accepted) {
      await files.remove(backup);
      throw new BerthError('CONFLICT', `Backup #${backup.number} ended while it was uploaded`, {
        status: 409,
      });
    }
    log.info(`backup ${backup.id} stored: ${stored.sizeBytes} bytes, sha256 ${stored.sha256}`);
    return c.json(stored);
  });

  app.get('/agent/v1/backups/:id/file', async (c) => {
    const backup = await backupOr404(c.req.param('id'));
    authorizeAgent(deps, c, backup);
    return fileResponse(c, files, backup, files.fileName(backup));
  });

  return app;
}
