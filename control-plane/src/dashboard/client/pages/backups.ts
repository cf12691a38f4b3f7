/// <reference lib="dom" />
import type { Backup, BackupActionResponse, Service } from '@berth/protocol';
import { canIn } from '../access.js';
import { api } from '../api.js';
import { verifiedBackupOverdue } from '../backup-health.js';
import { h, replace } from '../dom.js';
import { absoluteTime, duration, relativeTime } from '../format.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { busy, button, emptyState, pageHeader, toastError } from '../ui.js';
import { backupRow } from './backup-row.js';
import { backupSettingsForm, DEFAULT_BACKUP } from './backup-settings.js';
import { openRestoreDialog } from './restore-dialog.js';
import type { TabView } from './service.js';

const PAGE_SIZE = 20;
/** The "last verified" line says "5 min ago"; this keeps it current, in milliseconds. */
const TICK_MS = 30_000;

/** The Backups tab of a database: Back up now, the schedule, and the history with Restore. */
export function backupsTab(model: ServiceModel): TabView {
  const service = (): Service => model.service!;
  if (service().source.type !== 'database') {
    const element = emptyState('No backups', 'Only database services have backups.');
    return { element, dispose: () => undefined };
  }
  const backups = new Map<string, Backup>();
  const rows = new Map<string, ReturnType<typeof backupRow>>();
  const body = h('tbody', {});
  const now = button('Back up now', { kind: 'primary', icon: 'download' });
  const more = button('Load older backups', { kind: 'ghost' });
  let hasMore = false;
  const summary = h('p', { class: 'backup-summary', attrs: { role: 'status' } });
  const warning = h('p', { class: 'backup-warning', attrs: { role: 'alert', hidden: true } });
  const empty = emptyState(
    'No backups yet',
    'Press Back up now, or set a schedule. Each backup is verified by restoring it into a throwaway container.',
  );
  const tableWrap = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table backups', attrs: { 'aria-label': 'Backup history' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['#', 'Status', 'Trigger', 'Size', 'Duration', 'Verified', 'SHA-256', 'Created'].map(
            (label) => h('th', { attrs: { scope: 'col' } }, label),
          ),
          h('th', { attrs: { scope: 'col' } }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      body,
    ),
  );
  const canDeploy = canIn(model.projectId, 'deploy');
  const actions = {
    ...(canDeploy ? { restore: (backup: Backup) => openRestoreDialog(service(), backup) } : {}),
    download: canIn(model.projectId, 'secrets'),
  };

  const renderSummary = () => {
    const settings = service().backup ?? DEFAULT_BACKUP;
    const verified = [...backups.values()]
      .filter((b) => b.status === 'succeeded' && b.verifiedAt)
      .sort((a, b) => b.number - a.number)[0];
    replace(
      summary,
      verified
        ? h(
            'span',
            { attrs: { title: absoluteTime(verified.verifiedAt!) } },
            `Last verified backup: ${relativeTime(verified.verifiedAt)} (#${verified.number})`,
          )
        : 'Last verified backup: none yet',
      settings.schedule
        ? ` · schedule "${settings.schedule}", keep ${settings.keep}`
        : ' · no schedule',
    );
    const check = verifiedBackupOverdue(settings.schedule, verified?.verifiedAt, Date.now());
    warning.hidden = !check?.overdue;
    if (check?.overdue) {
      warning.textContent = `The last verified backup is older than twice the schedule’s interval (${duration(check.intervalMs)}). Check the failed backups below.`;
    }
  };

  const render = () => {
    const list = [...backups.values()].sort((a, b) => b.number - a.number);
    empty.hidden = list.length > 0;
    tableWrap.hidden = list.length === 0;
    more.hidden = !hasMore;
    let anchor: Element | null = null;
    for (const backup of list) {
      let row = rows.get(backup.id);
      if (!row) {
        row = backupRow(backup, actions);
        rows.set(backup.id, row);
      } else row.update(backup);
      const next: Element | null = anchor ? anchor.nextElementSibling : body.firstElementChild;
      if (next !== row.element) body.insertBefore(row.element, next);
      anchor = row.element;
    }
    renderSummary();
  };

  const add = (list: Backup[]) => {
    for (const backup of list) {
      const known = backups.get(backup.id);
      // The list and the stream can cross: a finished backup never goes back to running.
      if (known && isOver(known) && !isOver(backup)) continue;
      backups.set(backup.id, backup);
    }
    render();
  };

  const load = async (before?: number) => {
    const list = await api<Backup[]>(
      'GET',
      `/api/v1/services/${encodeURIComponent(service().id)}/backups?limit=${PAGE_SIZE}${before === undefined ? '' : `&before=${before}`}`,
    );
    hasMore = list.length === PAGE_SIZE;
    add(list);
  };

  now.addEventListener('click', () => {
    void busy(now, async () => {
      try {
        const answer = await api<BackupActionResponse>(
          'POST',
          `/api/v1/services/${encodeURIComponent(service().id)}/backups`,
          {},
        );
        toast(answer.message, {
          detail: `Backup${answer.backup ? ` #${answer.backup.number}` : ''} of ${service().name}`,
        });
        if (answer.backup) add([answer.backup]);
      } catch (err) {
        toastError(err, 'Could not back up');
      }
    });
  });
  more.addEventListener('click', () => {
    const oldest = [...backups.values()].sort((a, b) => a.number - b.number)[0];
    if (!oldest) return;
    void busy(more, () =>
      load(oldest.number).catch((err) => toastError(err, 'Could not load older backups')),
    );
  });

  const element = h(
    'section',
    { class: 'backups-tab', attrs: { 'aria-labelledby': 'backups-heading' } },
    pageHeader({
      level: 'h2',
      title: 'Backups',
      description: 'Dumps stored on the control plane, each verified by a test restore',
      actions: canDeploy ? [now] : [],
    }),
    summary,
    warning,
    empty,
    tableWrap,
    more,
    // The schedule is part of the service's settings.
    canIn(model.projectId, 'configure') ? backupSettingsForm(model) : null,
  );
  element.querySelector('h2')!.id = 'backups-heading';
  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'backup' && change.backup.serviceId === service().id) add([change.backup]);
    if (change.type === 'service') renderSummary();
  });
  const ticker = setInterval(renderSummary, TICK_MS);
  render();
  void load().catch((err) => toastError(err, 'Could not load the backups'));
  return {
    element,
    dispose() {
      unsubscribe();
      clearInterval(ticker);
    },
  };
}

function isOver(backup: Backup): boolean {
  return (
    backup.status === 'succeeded' || backup.status === 'failed' || backup.status === 'cancelled'
  );
}
