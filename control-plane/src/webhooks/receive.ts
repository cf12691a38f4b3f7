import type { GitProvider, WebhookDelivery } from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import { BerthError, describeError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { Store } from '../store/store.js';
import type { WebhookDeliveries } from './deliveries.js';
import {
  deliveryHeaders,
  followedBranch,
  isPushEvent,
  isSigned,
  parsePush,
  pushedBranch,
  type HeaderOf,
} from './providers.js';

export interface PushReceiverDeps {
  store: Store;
  deliveries: WebhookDeliveries;
  queue: Pick<JobQueue, 'deployPush'>;
  now: Now;
  log: Logger;
}

export interface IncomingDelivery {
  serviceId: string;
  header: HeaderOf;
  /** The raw body, exactly as signed. */
  body: Uint8Array;
}

/** The answer to a delivery that was not refused. */
export interface Received {
  status: 200 | 202;
  delivery: WebhookDelivery;
}

/**
 * Verifies a push webhook and queues a Redeploy (existing cache) of the pushed commit when it
 * moved the service's branch. Every verified delivery, and every refused one, is recorded with
 * its reason; a refusal throws the BerthError that answers it. Never waits for the deployment.
 */
export async function receivePush(
  deps: PushReceiverDeps,
  incoming: IncomingDelivery,
): Promise<Received> {
  const { store, deliveries } = deps;
  const service = store.services.config(incoming.serviceId);
  if (!service) throw notFound('service', incoming.serviceId);
  if (service.source.type !== 'git') {
    throw new BerthError(
      'CONFLICT',
      `${service.name} is not a git service; only git services deploy on push`,
      {
        status: 409,
      },
    );
  }
  const headers = deliveryHeaders(incoming.header);
  const base = {
    id: newId('whd'),
    provider: headers?.provider ?? ('unknown' as const),
    event: headers?.event ?? 'unknown',
    ...(headers?.deliveryId ? { deliveryId: headers.deliveryId.slice(0, 200) } : {}),
    receivedAt: isoTime(deps.now()),
  };
  const refuse = async (error: BerthError): Promise<never> => {
    await deliveries.add(service.id, { ...base, outcome: 'refused', reason: error.message });
    throw error;
  };
  const ignore = async (
    reason: string,
    status: 200 | 202 = 202,
    fields: Partial<WebhookDelivery> = {},
  ): Promise<Received> => {
    const delivery: WebhookDelivery = { ...base, ...fields, outcome: 'ignored', reason };
    await deliveries.add(service.id, delivery);
    return { status, delivery };
  };

  if (!headers) {
    return refuse(
      unauthorized('the request carries no GitHub, GitLab, Gitea or Forgejo webhook headers'),
    );
  }
  if (!service.webhookSecret) {
    return refuse(
      unauthorized(
        `the service has no webhook secret yet; read it with GET /api/v1/services/${service.id}/webhook and set it on the git host`,
      ),
    );
  }
  if (!isSigned(headers.provider, incoming.header, incoming.body, service.webhookSecret)) {
    return refuse(unauthorized(signatureProblem(headers.provider)));
  }
  if (!service.deployOnPush) {
    return refuse(
      new BerthError(
        'CONFLICT',
        `deploy on push is off for ${service.name}; turn it on with PATCH /api/v1/services/${service.id} {"deployOnPush":true}`,
        { status: 409 },
      ),
    );
  }
  if (headers.deliveryId && deliveries.seen(service.id, base.deliveryId!)) {
    return ignore(`delivery ${base.deliveryId} was already received`, 200);
  }
  if (!isPushEvent(headers.provider, headers.event)) {
    return ignore(`"${headers.event}" is not a push event`);
  }
  const payload = parseJson(incoming.body);
  const parsed = parsePush(headers.provider, payload);
  if (!parsed.ok) return refuse(new BerthError('INVALID_INPUT', parsed.reason));
  const { ref, commit } = parsed.push;
  const pushed = { ...base, ref, ...(commit ? { commit } : {}) };
  const branch = followedBranch(service.source.ref);
  if (pushedBranch(ref) !== branch) {
    return ignore(`the push moved ${ref}; the service follows the branch ${branch}`, 202, pushed);
  }
  if (!commit) return ignore(`the push deleted ${ref}`, 202, pushed);
  // Recorded before queueing, so a repeat of this delivery id is seen even meanwhile.
  const recorded = deliveries.add(service.id, { ...pushed, outcome: 'queued' });
  try {
    const queued = await deps.queue.deployPush(service.id, commit);
    await recorded;
    const deploymentId = queued.deployment?.id;
    if (deploymentId) await deliveries.update(pushed.id, { deploymentId });
    deps.log.info(
      `${headers.provider} push of ${commit.slice(0, 12)} to ${branch} queued deployment #${queued.deployment?.number ?? '?'} of ${service.id}`,
    );
    return {
      status: 202,
      delivery: { ...pushed, outcome: 'queued', ...(deploymentId ? { deploymentId } : {}) },
    };
  } catch (err) {
    await recorded;
    await deliveries.update(pushed.id, { outcome: 'refused', reason: describeError(err) });
    throw err;
  }
}

function unauthorized(reason: string): BerthError {
  return new BerthError('UNAUTHORIZED', reason, { status: 401 });
}

function signatureProblem(provider: GitProvider): string {
  switch (provider) {
    case 'github':
      return 'X-Hub-Signature-256 is missing or does not match the service’s webhook secret';
    case 'gitlab':
      return 'X-Gitlab-Token is missing or is not the service’s webhook secret';
    case 'gitea':
      return 'X-Gitea-Signature is missing or does not match the service’s webhook secret';
    case 'forgejo':
      return 'X-Forgejo-Signature is missing or does not match the service’s webhook secret';
  }
}

/** JSON, or the `payload` field of a form (GitHub's `application/x-www-form-urlencoded`). */
function parseJson(body: Uint8Array): unknown {
  const text = Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return undefined;
    try {
      return JSON.parse(payload);
    } catch {
      return undefined;
    }
  }
}
