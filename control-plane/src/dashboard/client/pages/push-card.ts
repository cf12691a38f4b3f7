/// <reference lib="dom" />
import type { Service, WebhookDelivery, WebhookInfo } from '@berth/protocol';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { relativeTime } from '../format.js';
import { MASK } from '../secrets.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { badge, button, copyButton, toastError } from '../ui.js';
import type { TabView } from './service.js';

const SHOWN_DELIVERIES = 10;
const OUTCOME_STATUS: Record<WebhookDelivery['outcome'], string> = {
  queued: 'succeeded',
  ignored: 'cancelled',
  refused: 'failed',
};

function deliveryRow(delivery: WebhookDelivery): HTMLElement {
  const what = [delivery.provider, delivery.event, delivery.ref, delivery.commit?.slice(0, 12)]
    .filter(Boolean)
    .join(' · ');
  return h(
    'li',
    { class: 'push-delivery', data: { outcome: delivery.outcome } },
    badge(OUTCOME_STATUS[delivery.outcome], delivery.outcome),
    h('span', { class: 'mono' }, what),
    h('span', { class: 'hint' }, relativeTime(delivery.receivedAt)),
    delivery.reason ? h('p', { class: 'hint' }, delivery.reason) : '',
  );
}

/**
 * Deploy on push for a git service: the switch, the webhook URL and its secret (hidden until
 * Reveal), and the latest deliveries with the reason each did or did not deploy.
 */
export function pushCard(model: ServiceModel): TabView {
  const base = () => `/api/v1/services/${encodeURIComponent(model.service!.id)}/webhook`;
  const toggle = h('input', {
    class: 'switch-input',
    attrs: { type: 'checkbox', role: 'switch', id: 'push-switch' },
  });
  const url = h('code', { class: 'mono', data: { field: 'webhook-url' } });
  const secret = h('code', { class: 'mono', data: { field: 'webhook-secret' } }, MASK);
  const reveal = button('Reveal secret', { kind: 'ghost', class: 'btn-small' });
  const refresh = button('Refresh', { kind: 'ghost', class: 'btn-small' });
  const list = h('ul', { class: 'push-deliveries', attrs: { 'aria-label': 'Recent deliveries' } });
  let info: WebhookInfo | null = null;
  let revealed = false;

  const loadInfo = async () => {
    info ??= await api<WebhookInfo>('GET', base());
    url.textContent = info.url;
    secret.textContent = revealed ? info.secret : MASK;
  };
  const loadDeliveries = async () => {
    const deliveries = await api<WebhookDelivery[]>('GET', `${base()}/deliveries`);
    replace(
      list,
      ...(deliveries.length === 0
        ? [h('li', { class: 'hint' }, 'No deliveries yet.')]
        : deliveries.slice(0, SHOWN_DELIVERIES).map(deliveryRow)),
    );
  };
  const render = () => {
    toggle.checked = model.service?.deployOnPush === true;
  };

  toggle.addEventListener('change', () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    api<Service>('PATCH', `/api/v1/services/${encodeURIComponent(model.service!.id)}`, {
      deployOnPush: wanted,
    })
      .then((updated) => {
        model.applyService(updated);
        toast(wanted ? 'Deploy on push is on' : 'Deploy on push is off');
      })
      .catch((err: unknown) => toastError(err, 'Could not change deploy on push'))
      .finally(() => {
        toggle.disabled = false;
        render();
      });
  });
  reveal.addEventListener('click', () => {
    revealed = !revealed;
    reveal.setAttribute('aria-pressed', String(revealed));
    loadInfo().catch((err: unknown) => toastError(err, 'Could not read the webhook'));
  });
  refresh.addEventListener('click', () => {
    loadDeliveries().catch((err: unknown) => toastError(err, 'Could not read the deliveries'));
  });

  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'service' || change.type === 'snapshot') render();
  });
  render();
  loadInfo()
    .then(loadDeliveries)
    .catch((err: unknown) => toastError(err, 'Could not read the webhook'));

  const element = h(
    'section',
    { class: 'card push-card', attrs: { 'aria-label': 'Deploy on push' } },
    h('h3', { class: 'card-title' }, 'Deploy on push'),
    h(
      'label',
      { class: 'switch', attrs: { for: 'push-switch' } },
      toggle,
      'Redeploy on each push to the branch',
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Webhook URL'),
      h(
        'dd',
        {},
        url,
        copyButton(() => info?.url ?? '', 'webhook URL'),
      ),
      h('dt', {}, 'Secret'),
      h(
        'dd',
        {},
        secret,
        reveal,
        copyButton(() => info?.secret ?? '', 'webhook secret'),
      ),
    ),
    h(
      'p',
      { class: 'hint' },
      'Add the URL and secret as a push webhook (JSON) on GitHub, GitLab, Gitea or Forgejo.',
    ),
    h('div', { class: 'form-actions' }, h('h4', {}, 'Recent deliveries'), refresh),
    list,
  );
  return { element, dispose: unsubscribe };
}
