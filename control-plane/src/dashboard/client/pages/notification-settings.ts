/// <reference lib="dom" />
import type { NotificationDelivery, NotificationTarget, Project } from '@berth/protocol';
import { canIn } from '../access.js';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h, replace } from '../dom.js';
import { absoluteTime } from '../format.js';
import { toast } from '../toast.js';
import { badge, busy, button, card, emptyState, field, toastError } from '../ui.js';
import { newTargetForm } from './notification-target-form.js';
import { loadInto, type PageContext } from './page.js';

const TYPE_LABELS: Record<NotificationTarget['type'], string> = {
  webhook: 'Webhook',
  slack: 'Slack',
  discord: 'Discord',
};

const targetsPath = (projectId: string) =>
  `/api/v1/projects/${encodeURIComponent(projectId)}/notifications`;

const targetPath = (target: NotificationTarget) =>
  `${targetsPath(target.projectId)}/${encodeURIComponent(target.id)}`;

/**
 * The Notifications card of the Settings page: a project's targets, their deliveries, and a
 * form to add one. URLs are shown as the API masks them; a webhook's secret only once.
 */
export function notificationsCard(ctx: PageContext): HTMLElement {
  const body = h('div', { class: 'stack' });
  loadInto(body, () => projectPicker(ctx), ctx.signal);
  return card(
    h('h2', { class: 'card-title' }, 'Notifications'),
    h(
      'p',
      { class: 'hint' },
      'Each project sends the outcome of its deployments and backups to these webhooks, Slack or Discord channels.',
    ),
    body,
  );
}

async function projectPicker(ctx: PageContext): Promise<Node> {
  const projects = await api<Project[]>('GET', '/api/v1/projects');
  if (projects.length === 0) {
    return emptyState('No projects', 'Notification targets belong to a project. Create one first.');
  }
  const picker = h(
    'select',
    { class: 'input', attrs: { name: 'project' } },
    ...projects.map((project) => h('option', { attrs: { value: project.id } }, project.name)),
  );
  const targets = h('div', { class: 'stack' });
  const form = h('div');
  // A list still loading for the project picked before must not land under the new one.
  let picked = new AbortController();
  const show = () => {
    const project = projects.find((p) => p.id === picker.value);
    if (!project) return;
    picked.abort();
    picked = new AbortController();
    const signal = AbortSignal.any([ctx.signal, picked.signal]);
    const reload = () => loadInto(targets, () => targetsTable(project, reload), signal);
    reload();
    // Adding and removing targets is configuring the project; reading them is not.
    replace(form, canIn(project.id, 'configure') ? newTargetForm(project, reload) : null);
  };
  picker.addEventListener('change', show);
  show();
  return h('div', { class: 'stack' }, field('Project', picker), targets, form);
}

async function targetsTable(project: Project, reload: () => void): Promise<Node> {
  const targets = await api<NotificationTarget[]>('GET', targetsPath(project.id));
  if (targets.length === 0) {
    return emptyState(
      'No notification targets',
      `${project.name} sends no notifications. Add a target below.`,
    );
  }
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'Notification targets' } },
      h('thead', {}, h('tr', {}, heading('Type'), heading('URL'), heading('Events'), heading(''))),
      h(
        'tbody',
        {},
        ...targets.map((target) =>
          h(
            'tr',
            { data: { targetId: target.id } },
            h('td', { class: 'strong', data: { label: 'Type' } }, TYPE_LABELS[target.type]),
            h('td', { class: 'mono', data: { label: 'URL' } }, target.url),
            h('td', { class: 'mono', data: { label: 'Events' } }, target.events.join(', ')),
            h(
              'td',
              { class: 'row-actions-cell' },
              h(
                'div',
                { class: 'row-buttons' },
                button('Deliveries', { onClick: () => showDeliveries(target) }),
                canIn(project.id, 'configure')
                  ? button('Remove', {
                      kind: 'danger',
                      icon: 'trash',
                      onClick: () => confirmRemove(target, reload),
                    })
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function confirmRemove(target: NotificationTarget, reload: () => void): void {
  const remove = button('Remove', { kind: 'danger', icon: 'trash' });
  const dialog = openDialog({
    title: `Remove the ${TYPE_LABELS[target.type]} target ${target.url}?`,
    description:
      'It receives no more notifications, and its delivery log is deleted with it. A webhook added again gets a new secret.',
    actions: (close) => [button('Cancel', { onClick: close }), remove],
  });
  remove.addEventListener('click', () => {
    void busy(remove, async () => {
      try {
        await api('DELETE', targetPath(target));
        dialog.close();
        toast(`Removed the notification target ${target.url}`, { kind: 'success' });
        reload();
      } catch (err) {
        toastError(err, 'Could not remove the notification target');
      }
    });
  });
}

/** The delivery log of a target, newest first, in a dialog. */
function showDeliveries(target: NotificationTarget): void {
  const body = h('div', { class: 'stack' });
  const controller = new AbortController();
  openDialog({
    title: `Deliveries to ${target.url}`,
    description: 'The last 50 notifications sent to this target, newest first, with each attempt.',
    body,
    actions: (close) => [button('Done', { kind: 'primary', onClick: close })],
    onClose: () => controller.abort(),
  });
  loadInto(body, () => deliveriesTable(target), controller.signal);
}

async function deliveriesTable(target: NotificationTarget): Promise<Node> {
  const deliveries = await api<NotificationDelivery[]>('GET', `${targetPath(target)}/deliveries`);
  if (deliveries.length === 0) {
    return emptyState(
      'No deliveries yet',
      'A delivery is logged when one of the events this target asked for happens.',
    );
  }
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'Deliveries' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          heading('Time'),
          heading('Event'),
          heading('Outcome'),
          heading('Attempts'),
          heading('Last answer'),
        ),
      ),
      h('tbody', {}, ...deliveries.map(deliveryRow)),
    ),
  );
}

function deliveryRow(delivery: NotificationDelivery): HTMLElement {
  const last = delivery.attempts.at(-1);
  const answer = !last
    ? '—'
    : [last.httpStatus !== undefined ? `HTTP ${last.httpStatus}` : null, last.error ?? null]
        .filter((part) => part !== null)
        .join(': ') || '—';
  return h(
    'tr',
    { data: { deliveryId: delivery.id } },
    h(
      'td',
      { data: { label: 'Time' } },
      h('time', { attrs: { datetime: delivery.createdAt } }, absoluteTime(delivery.createdAt)),
    ),
    h('td', { class: 'mono', data: { label: 'Event' } }, delivery.event),
    h('td', { data: { label: 'Outcome' } }, outcomeBadge(delivery.status)),
    h('td', { data: { label: 'Attempts' } }, String(delivery.attempts.length)),
    h('td', { class: 'mono', data: { label: 'Last answer' } }, answer),
  );
}

/** Delivery states drawn with the colours the deployment states already have. */
function outcomeBadge(status: NotificationDelivery['status']): HTMLElement {
  switch (status) {
    case 'delivered':
      return badge('succeeded', 'delivered');
    case 'sending':
      return badge('queued', 'sending');
    case 'failed':
      return badge('failed', 'failed');
  }
}
