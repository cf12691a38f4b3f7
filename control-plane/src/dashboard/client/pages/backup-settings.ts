/// <reference lib="dom" />
import type { BackupSettings, Service } from '@berth/protocol';
import { api } from '../api.js';
import { h } from '../dom.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { button, errorBox, field, input, onSubmit } from '../ui.js';
import { numberValue } from './form-parts.js';

/** What a database has before anyone changes it; the same as the control plane's defaults. */
export const DEFAULT_BACKUP: BackupSettings = { schedule: null, keep: 7, verify: true };

/**
 * The schedule (a cron expression), how many backups to keep and whether to verify them:
 * saved with `PATCH /services/:id {"backup": …}`. A refused cron shows the API's message.
 */
export function backupSettingsForm(model: ServiceModel): HTMLElement {
  const current = model.service!.backup ?? DEFAULT_BACKUP;
  const schedule = input({
    name: 'schedule',
    value: current.schedule ?? '',
    placeholder: '0 3 * * *',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  schedule.classList.add('mono');
  const keep = input({ type: 'number', name: 'keep', min: 1, max: 1000, value: current.keep });
  const verify = h('input', {
    attrs: { type: 'checkbox', id: 'backup-verify', name: 'verify', checked: current.verify },
  });
  const errors = errorBox();
  const save = button('Save schedule', { kind: 'primary', submit: true });
  const form = h(
    'form',
    { class: 'card stack backup-settings', attrs: { 'aria-label': 'Backup schedule' } },
    h('h3', { class: 'card-title' }, 'Schedule'),
    h(
      'div',
      { class: 'grid-2' },
      field(
        'Schedule (cron)',
        schedule,
        'minute hour day month weekday, in the server’s time. "0 3 * * *" daily at 03:00, "0 */6 * * *" every 6 hours, "30 2 * * 0" Sundays at 02:30. Empty: no schedule.',
      ),
      field(
        'Backups to keep',
        keep,
        'Older succeeded backups are deleted, never the last verified one.',
      ),
    ),
    h(
      'label',
      { class: 'checkbox', attrs: { for: 'backup-verify' } },
      verify,
      'Verify each backup by restoring it into a throwaway container',
    ),
    errors.element,
    h('div', { class: 'form-actions' }, save),
  );
  onSubmit(form, {
    submit: save,
    errors,
    run: async () => {
      const backup: BackupSettings = {
        schedule: schedule.value.trim() || null,
        keep: numberValue(keep),
        verify: verify.checked,
      };
      const updated = await api<Service>(
        'PATCH',
        `/api/v1/services/${encodeURIComponent(model.service!.id)}`,
        { backup },
      );
      model.applyService(updated);
      toast('Saved', {
        detail: backup.schedule ? `Backups run on "${backup.schedule}"` : 'No scheduled backups',
      });
    },
  });
  return form;
}
