/// <reference lib="dom" />
import type { Backup } from '@berth/protocol';
import { h, replace } from '../dom.js';
import { absoluteTime, duration, humanBytes, relativeTime } from '../format.js';
import { icon } from '../icons.js';
import { badge, button, copyButton } from '../ui.js';

export interface BackupRowActions {
  /** Absent when the user may not restore here. */
  restore?: (backup: Backup) => void;
  /** Whether the user may read secrets here: a dump holds every row. */
  download: boolean;
}

/** "dumping · 12 MB · 4.1 MB/s": a running backup's live progress. */
export function progressText(backup: Backup): string {
  const progress = backup.progress;
  if (!progress) return backup.status === 'queued' ? 'waiting for the server' : '';
  return `${progress.phase} · ${humanBytes(progress.bytes)} · ${humanBytes(Math.round(progress.bytesPerSecond))}/s`;
}

function triggerLabel(backup: Backup): string {
  if (backup.safetyFor) return 'Safety (before a restore)';
  return backup.trigger === 'schedule' ? 'Schedule' : 'Manual';
}

function verifiedCell(backup: Backup): HTMLElement {
  if (backup.verifiedAt) {
    const when = `Verified ${absoluteTime(backup.verifiedAt)}`;
    return h('span', { class: 'verified', attrs: { title: when, 'aria-label': when } }, '✓');
  }
  if (backup.verifySkipped) {
    return h('span', { class: 'muted', attrs: { title: 'Verification is off' } }, 'skipped');
  }
  return h('span', { class: 'muted' }, '—');
}

/** One backup in the history table; `update` redraws it from the latest record. */
export function backupRow(initial: Backup, actions: BackupRowActions) {
  const element = h('tr', { class: 'backup-row' });
  const update = (backup: Backup) => {
    element.dataset.backupId = backup.id;
    element.dataset.status = backup.status;
    const live = backup.status === 'running' || backup.status === 'verifying';
    const detail =
      backup.status === 'failed' || backup.status === 'cancelled'
        ? h('span', { class: 'backup-error' }, backup.error ?? '')
        : live || backup.status === 'queued'
          ? h(
              'span',
              { class: 'backup-progress', attrs: { 'aria-live': 'polite' } },
              progressText(backup),
            )
          : null;
    const succeeded = backup.status === 'succeeded';
    const download = h(
      'a',
      {
        class: 'btn btn-ghost btn-small',
        attrs: {
          href: `/api/v1/backups/${encodeURIComponent(backup.id)}/download`,
          download: '',
          'aria-label': `Download backup #${backup.number}`,
        },
      },
      icon('download'),
      h('span', { class: 'btn-label' }, 'Download'),
    );
    replace(
      element,
      h('td', { class: 'number' }, `#${backup.number}`),
      h('td', { class: 'status-cell', data: { label: 'Status' } }, badge(backup.status), detail),
      h('td', { data: { label: 'Trigger' } }, triggerLabel(backup)),
      h(
        'td',
        { class: 'numeric', data: { label: 'Size' } },
        backup.sizeBytes === undefined ? '—' : humanBytes(backup.sizeBytes),
      ),
      h(
        'td',
        { class: 'numeric', data: { label: 'Duration' } },
        backup.durationMs === undefined ? '—' : duration(backup.durationMs),
      ),
      h('td', { class: 'verified-cell', data: { label: 'Verified' } }, verifiedCell(backup)),
      h(
        'td',
        { class: 'revision', data: { label: 'SHA-256' } },
        backup.sha256
          ? h(
              'span',
              { class: 'revision-value' },
              h('code', { attrs: { title: backup.sha256 } }, backup.sha256.slice(0, 12)),
              copyButton(backup.sha256, 'sha256'),
            )
          : '—',
      ),
      h(
        'td',
        {
          class: 'numeric',
          data: { label: 'Created' },
          attrs: { title: absoluteTime(backup.createdAt) },
        },
        relativeTime(backup.createdAt),
      ),
      h(
        'td',
        { class: 'row-actions-cell' },
        succeeded && actions.download ? download : null,
        succeeded && actions.restore
          ? button('Restore', {
              kind: 'ghost',
              class: 'btn-small',
              icon: 'rollback',
              attrs: { 'aria-label': `Restore backup #${backup.number}` },
              onClick: () => actions.restore?.(backup),
            })
          : null,
      ),
    );
  };
  update(initial);
  return { element, update };
}
