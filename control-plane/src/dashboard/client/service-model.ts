import type { Backup, Deployment, Job, Service } from '@berth/protocol';

/** A deployment as the change stream sends it. */
export type DeploymentItem = Deployment & { rollbackAvailable?: boolean; unavailableMs?: number };

export type ModelChange =
  | { type: 'snapshot' }
  | { type: 'service' }
  | { type: 'deployment'; deployment: DeploymentItem; added: boolean }
  | { type: 'job'; job: Job }
  | { type: 'backup'; backup: Backup };

const FINAL = new Set<Deployment['status']>(['succeeded', 'failed', 'cancelled']);

export function isFinished(deployment: Deployment): boolean {
  return FINAL.has(deployment.status);
}

/** One service and its newest deployments, kept current by the change stream. */
export class ServiceModel {
  service: Service | null = null;
  /** The service's project, once its environment is read: what the user may do follows it. */
  projectId: string | undefined = undefined;
  hasMore = false;
  readonly #deployments = new Map<string, DeploymentItem>();
  readonly #listeners = new Set<(change: ModelChange) => void>();

  subscribe(listener: (change: ModelChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Newest first. */
  get deployments(): DeploymentItem[] {
    return [...this.#deployments.values()].sort((a, b) => b.number - a.number);
  }

  get ready(): boolean {
    return this.service !== null;
  }

  applySnapshot(snapshot: { service: Service; deployments: DeploymentItem[]; hasMore: boolean }) {
    this.service = snapshot.service;
    // A reconnect sends a fresh snapshot: it replaces what the stream said before.
    const older = this.deployments.filter(
      (d) => d.number < Math.min(...snapshot.deployments.map((s) => s.number)),
    );
    this.#deployments.clear();
    for (const d of [...snapshot.deployments, ...older]) this.#deployments.set(d.id, d);
    if (older.length === 0) this.hasMore = snapshot.hasMore;
    this.#emit({ type: 'snapshot' });
  }

  applyService(service: Service): void {
    this.service = service;
    this.#emit({ type: 'service' });
  }

  applyDeployment(deployment: DeploymentItem): void {
    const known = this.#deployments.get(deployment.id);
    // The stream and an action's answer can both carry a deployment; never go back in time.
    if (known && isFinished(known) && !isFinished(deployment)) return;
    // Each deployment arrives whole: a field it lacks is gone (a contact regained, say).
    const merged = { ...deployment };
    if (known && deployment.rollbackAvailable === undefined) {
      merged.rollbackAvailable = known.rollbackAvailable;
    }
    this.#deployments.set(deployment.id, merged);
    this.#emit({ type: 'deployment', deployment: merged, added: !known });
  }

  /** Older deployments from the history endpoint. */
  addOlder(deployments: DeploymentItem[], hasMore: boolean): void {
    for (const d of deployments) if (!this.#deployments.has(d.id)) this.#deployments.set(d.id, d);
    this.hasMore = hasMore;
    this.#emit({ type: 'snapshot' });
  }

  applyJob(job: Job): void {
    this.#emit({ type: 'job', job });
  }

  /** A backup's status or live progress changed; the Backups tab keeps the list. */
  applyBackup(backup: Backup): void {
    this.#emit({ type: 'backup', backup });
  }

  #emit(change: ModelChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
