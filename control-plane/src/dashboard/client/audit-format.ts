import type { AuditActor, AuditEntry } from '@berth/protocol';

/** What the audit card marks for tests and tools: `data-testid` values and other selectors. */
export const AUDIT_SELECTORS = {
  card: '[data-testid="audit-card"]',
  filters: 'form[aria-label="Audit log filters"]',
  actionFilter: 'form[aria-label="Audit log filters"] input[name="action"]',
  actorFilter: 'form[aria-label="Audit log filters"] input[name="actor"]',
  filterButton: '[data-testid="audit-filter"]',
  table: 'table[aria-label="Audit log"]',
  /** Each row also has `data-seq`; its outcome badge has `data-status` = the outcome. */
  row: '[data-testid="audit-row"]',
  outcome: '[data-testid="audit-row"] .badge',
  empty: '[data-testid="audit-empty"]',
  loadMore: '[data-testid="audit-load-more"]',
} as const;

/** Entries per page of the dashboard's audit log. */
export const AUDIT_VIEW_PAGE = 50;

export const ACTOR_TYPE_LABELS: Record<AuditActor['type'], string> = {
  user: 'user',
  token: 'API token',
  'admin-token': 'admin token',
  webhook: 'webhook',
  schedule: 'schedule',
  anonymous: 'not signed in',
};

export interface AuditViewFilters {
  /** An exact action or a prefix such as "service.*". */
  action: string;
  /** An actor id. */
  actor: string;
}

/** The API path of one page: the filters that are set, the page size and the cursor. */
export function auditQueryPath(
  filters: AuditViewFilters,
  options: { before?: number; limit?: number } = {},
): string {
  const query = new URLSearchParams({ limit: String(options.limit ?? AUDIT_VIEW_PAGE) });
  const action = filters.action.trim();
  const actor = filters.actor.trim();
  if (action !== '') query.set('action', action);
  if (actor !== '') query.set('actor', actor);
  if (options.before !== undefined) query.set('before', String(options.before));
  return `/api/v1/audit?${query.toString()}`;
}

/** The cursor for the page after `page`, or null when `page` was the last one. */
export function nextAuditCursor(page: AuditEntry[], limit = AUDIT_VIEW_PAGE): number | null {
  const last = page.at(-1);
  return page.length < limit || !last ? null : last.seq;
}

/** "API token of usr_ada", "user", "not signed in": the actor's kind, and a token's owner. */
export function actorKind(actor: AuditActor): string {
  const kind = ACTOR_TYPE_LABELS[actor.type];
  return actor.type === 'token' && actor.userId ? `${kind} of ${actor.userId}` : kind;
}

/** "service svc_1", or an em dash for an entry without a target. */
export function targetText(target: AuditEntry['target']): string {
  return target ? `${target.type} ${target.id}` : '—';
}

/** "success", "failure (401)", "denied (403)". */
export function outcomeText(entry: Pick<AuditEntry, 'outcome' | 'status'>): string {
  return entry.status === undefined ? entry.outcome : `${entry.outcome} (${entry.status})`;
}
