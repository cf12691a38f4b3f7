import type { NotificationEvent } from '@berth/protocol';
import { isoTime, type Now, type Sleep } from '../clock.js';
import { newId } from '../crypto.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueueEvents } from '../queue/queue-events.js';
import type { DeploymentRecord, JobRecord, NotificationTargetRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { maskUrl } from './mask-url.js';
import { notificationRequest, type NotificationSubject } from './messages.js';
import { deliverWithRetries, isDelivered, type Post, type RetryPolicy } from './send.js';
import { NotificationTargets } from './targets.js';

export interface NotifierDeps {
  store: Store;
  events: QueueEvents;
  log: Logger;
  now: Now;
  sleep: Sleep;
  post: Post;
  policy: RetryPolicy;
  random?: () => number;
}

/**
 * Sends the notifications of finished deployments and backups. It listens for the queue's
 * `ended` event, which comes after the outcome is stored, and sends in the background: a slow
 * or failing receiver never holds up or changes a job.
 */
export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #targets: NotificationTargets;
  readonly #controller = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #onEnded = (job: JobRecord, deployment: DeploymentRecord | undefined): void => {
    this.#track(this.#notify(job, deployment));
  };

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#targets = new NotificationTargets(deps.store.db, deps.now);
  }

  start(): void {
    this.#deps.events.on('ended', this.#onEnded);
  }

  /** Stops listening, cuts retries short, and waits for what is being sent. */
  async stop(): Promise<void> {
    this.#deps.events.off('ended', this.#onEnded);
    this.#controller.abort();
    await Promise.all([...this.#inFlight]);
  }

  /** Resolves once every notification started so far is settled (for tests). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #track(work: Promise<void>): void {
    const settled = work.catch((err: unknown) =>
      this.#deps.log.error(`notification failed: ${describeError(err)}`),
    );
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  async #notify(job: JobRecord, deployment: DeploymentRecord | undefined): Promise<void> {
    const subject = await this.#subjectOf(job, deployment);
    if (!subject) return;
    const targets = this.#targets.subscribed(subject.project.id, subject.event);
    await Promise.all(targets.map((target) => this.#send(target, subject)));
  }

  async #subjectOf(
    job: JobRecord,
    deployment: DeploymentRecord | undefined,
  ): Promise<NotificationSubject | undefined> {
    if (job.status !== 'failed' && job.status !== 'succeeded') return undefined;
    const { store } = this.#deps;
    const service = store.services.config(job.serviceId);
    const environment = service && store.environments.get(service.environmentId);
    const project = environment && store.projects.get(environment.projectId);
    if (!service || !environment || !project) return undefined;
    const base = {
      at: job.finishedAt ?? isoTime(this.#deps.now()),
      project: { id: project.id, name: project.name },
      environment: { id: environment.id, name: environment.name },
      service: { id: service.id, name: service.name },
    };
    if (job.kind === 'deploy' && deployment) {
      const commit = deployment.source.type === 'git' ? deployment.source.commit : undefined;
      return {
        ...base,
        event: `deployment.${job.status}` satisfies NotificationEvent,
        deployment: {
          id: deployment.id,
          number: deployment.number,
          trigger: deployment.trigger,
          ...(commit ? { commit } : {}),
          ...(deployment.error ? { error: deployment.error } : {}),
        },
      };
    }
    if (job.kind === 'backup' && job.backupId) {
      const backup = await store.history.backup(job.backupId);
      if (!backup) return undefined;
      const error = backup.error ?? job.error;
      return {
        ...base,
        event: `backup.${job.status}` satisfies NotificationEvent,
        backup: { id: backup.id, number: backup.number, ...(error ? { error } : {}) },
      };
    }
    return undefined;
  }

  async #send(target: NotificationTargetRecord, subject: NotificationSubject): Promise<void> {
    const { log, now } = this.#deps;
    const deliveryId = newId('ntd');
    const request = notificationRequest({
      type: target.type,
      secret: target.secret,
      deliveryId,
      subject,
    });
    await this.#targets.startDelivery({
      id: deliveryId,
      targetId: target.id,
      event: subject.event,
      subjectId: subject.deployment?.id ?? subject.backup?.id ?? '',
      status: 'sending',
      attempts: [],
      createdAt: isoTime(now()),
    });
    const delivered = await deliverWithRetries(
      {
        ...this.#deps,
        random: this.#deps.random ?? Math.random,
        signal: this.#controller.signal,
      },
      { url: target.url, ...request },
      async (result, at, last) => {
        const status = !last ? 'sending' : isDelivered(result) ? 'delivered' : 'failed';
        await this.#targets.recordAttempt(
          deliveryId,
          {
            at: isoTime(at),
            ...(result.status !== undefined ? { httpStatus: result.status } : {}),
            ...(result.error ? { error: result.error } : {}),
          },
          status,
        );
      },
    );
    if (!delivered) {
      log.warn(
        `notification ${subject.event} to ${target.type} target ${target.id} (${maskUrl(target.url)}) was not delivered; GET /api/v1/projects/${target.projectId}/notifications/${target.id}/deliveries has each attempt`,
      );
    }
  }
}
