/// <reference lib="dom" />
import type { ActionResponse, Backup, Service } from '@berth/protocol';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h } from '../dom.js';
import { absoluteTime } from '../format.js';
import { toast } from '../toast.js';
import { busy, button, field, input, toastError } from '../ui.js';

/**
 * Restore replaces the database's data, so the user types the service's name to confirm. A
 * safety backup is taken first unless they uncheck it, which sends `safetyBackup: false`.
 */
export function openRestoreDialog(service: Service, backup: Backup): void {
  const name = input({ name: 'confirm-name', autocomplete: 'off', spellcheck: 'false' });
  const safety = h('input', {
    attrs: { type: 'checkbox', id: 'restore-safety', name: 'safety-backup', checked: true },
  });
  const body = h(
    'div',
    { class: 'stack' },
    h(
      'p',
      {},
      `The data of ${service.name} will be replaced by backup #${backup.number} from ${absoluteTime(backup.createdAt)}. Changes since then are lost unless a safety backup is taken.`,
    ),
    h(
      'label',
      { class: 'checkbox', attrs: { for: 'restore-safety' } },
      safety,
      'Take a safety backup first',
    ),
    field(`Type ${service.name} to confirm`, name),
  );
  openDialog({
    title: `Restore backup #${backup.number}`,
    description: 'A queued job on the server; it goes on even if you close this page.',
    body,
    initialFocus: () => name,
    actions: (close) => {
      const go = button('Restore', { kind: 'danger', icon: 'rollback' });
      go.disabled = true;
      name.addEventListener('input', () => {
        go.disabled = name.value !== service.name;
      });
      go.addEventListener('click', () => {
        if (name.value !== service.name) return;
        void busy(go, async () => {
          try {
            const answer = await api<ActionResponse>(
              'POST',
              `/api/v1/backups/${encodeURIComponent(backup.id)}/restore`,
              { safetyBackup: safety.checked },
            );
            toast(answer.message, {
              detail: `Restore of backup #${backup.number} into ${service.name}${safety.checked ? ', after a safety backup' : ''}`,
            });
            close();
          } catch (err) {
            toastError(err, 'Could not restore');
          }
        }).finally(() => {
          go.disabled = name.value !== service.name;
        });
      });
      return [button('Cancel', { kind: 'ghost', onClick: close }), go];
    },
  });
}
