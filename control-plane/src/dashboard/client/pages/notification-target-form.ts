/// <reference lib="dom" />
import type {
  NotificationEvent,
  NotificationTarget,
  NotificationType,
  Project,
} from '@berth/protocol';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h, newId } from '../dom.js';
import { toast } from '../toast.js';
import { button, card, copyButton, errorBox, field, input, onSubmit } from '../ui.js';
import { fieldset, radio } from './form-parts.js';

const TYPES: { type: NotificationType; label: string }[] = [
  { type: 'webhook', label: 'Webhook (signed JSON)' },
  { type: 'slack', label: 'Slack' },
  { type: 'discord', label: 'Discord' },
];

/** Every event, with the failures checked at first: the API's default, and what most want. */
const EVENTS: { event: NotificationEvent; checked: boolean }[] = [
  { event: 'deployment.failed', checked: true },
  { event: 'deployment.succeeded', checked: false },
  { event: 'backup.failed', checked: true },
  { event: 'backup.succeeded', checked: false },
];

/** The answer to a creation: a webhook target's signing secret is in it, and nowhere else. */
type CreatedTarget = NotificationTarget & { secret?: string };

function eventCheckbox(event: NotificationEvent, checked: boolean): HTMLElement {
  const id = newId('event');
  return h(
    'label',
    { class: 'choice', attrs: { for: id } },
    h('input', { attrs: { type: 'checkbox', name: 'events', value: event, id, checked } }),
    h('span', { class: 'mono' }, event),
  );
}

/** The form that adds a notification target to `project`. */
export function newTargetForm(project: Project, reload: () => void): HTMLElement {
  const url = input({
    name: 'url',
    type: 'url',
    required: true,
    maxlength: 2048,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'https://ops.example.com/berth',
  });
  url.classList.add('mono');
  const errors = errorBox();
  const submit = button('Add target', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    // The API names what it refuses; the browser's own checks would hide that.
    { class: 'stack', attrs: { 'aria-label': 'New notification target', novalidate: true } },
    fieldset(
      'Type',
      'A webhook gets JSON signed with a secret; Slack and Discord get a message in a channel.',
      h(
        'div',
        { class: 'choices' },
        ...TYPES.map((t, index) => radio('type', t.type, t.label, index === 0)),
      ),
    ),
    field('URL', url, 'http:// or https://. Only the scheme and host are shown after saving.'),
    fieldset(
      'Events',
      'What this target is told about.',
      h('div', { class: 'choices' }, ...EVENTS.map((e) => eventCheckbox(e.event, e.checked))),
    ),
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const type = form.querySelector<HTMLInputElement>('input[name="type"]:checked')?.value;
      const events = [
        ...form.querySelectorAll<HTMLInputElement>('input[name="events"]:checked'),
      ].map((box) => box.value);
      const created = await api<CreatedTarget>(
        'POST',
        `/api/v1/projects/${encodeURIComponent(project.id)}/notifications`,
        { type, url: url.value, events },
      );
      form.reset();
      reload();
      if (created.secret) {
        showSecretOnce(created, created.secret);
      } else {
        toast(`Added the notification target ${created.url}`, { kind: 'success' });
      }
    },
  });
  return card(h('h3', { class: 'card-title' }, `Add a target to ${project.name}`), form);
}

/** The signing secret, in the one answer that carries it; the page keeps no copy. */
function showSecretOnce(target: NotificationTarget, secret: string): void {
  const value = h('code', { class: 'command-text', data: { field: 'signing-secret' } }, secret);
  openDialog({
    title: 'Webhook target added',
    description: `Deliveries to ${target.url} are signed with this secret: X-Berth-Signature is sha256= and the hex HMAC-SHA256 of the body.`,
    body: h(
      'div',
      { class: 'stack' },
      h(
        'div',
        { class: 'command' },
        value,
        copyButton(() => secret, 'signing secret'),
      ),
      h(
        'p',
        { class: 'hint' },
        'Copy it now: it will not be shown again. To change it, remove the target and add it again.',
      ),
    ),
    actions: (close) => [button('Done', { kind: 'primary', onClick: close })],
  });
}
