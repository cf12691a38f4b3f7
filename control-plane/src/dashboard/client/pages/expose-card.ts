/// <reference lib="dom" />
import type { Service } from '@berth/protocol';
import { h } from '../dom.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { field, input, toastError } from '../ui.js';
import { exposeDatabase, unexposeDatabase } from './database-actions.js';
import { numberValue } from './form-parts.js';
import type { TabView } from './service.js';

/**
 * The Expose toggle: publishes the database port on its server (the port typed, or a free
 * one), or withdraws it. Each is a queued job; the switch shows what the service says, and
 * waits while a job it queued is pending.
 */
export function exposeCard(model: ServiceModel): TabView {
  const toggle = h('input', {
    class: 'switch-input',
    attrs: { type: 'checkbox', role: 'switch', id: 'expose-switch' },
  });
  const port = input({
    type: 'number',
    min: 1024,
    max: 65535,
    name: 'expose-port',
    placeholder: 'a free one from 20000–29999',
  });
  const state = h('p', { class: 'expose-state', attrs: { role: 'status' } });
  /** The job queued here and the state it leads to, until the service reaches it. */
  let pending: { jobId: string; exposed: boolean } | null = null;

  const service = (): Service => model.service!;
  const render = () => {
    const current = service();
    const exposed = current.exposed === true;
    if (pending && pending.exposed === exposed) pending = null;
    toggle.checked = pending ? pending.exposed : exposed;
    toggle.disabled = pending !== null;
    toggle.setAttribute('aria-busy', String(pending !== null));
    port.disabled = exposed || pending !== null;
    if (exposed && current.publicPort) port.value = String(current.publicPort);
    state.dataset.exposed = String(exposed);
    state.textContent = pending
      ? `${pending.exposed ? 'Expose' : 'Unexpose'} queued: waiting for the server…`
      : exposed
        ? `Exposed on port ${current.publicPort ?? '?'}: reachable from outside the server.`
        : 'Not exposed: only services of this environment can connect.';
  };

  toggle.addEventListener('change', () => {
    const wanted = toggle.checked;
    const requested = port.value.trim() === '' ? undefined : numberValue(port);
    toggle.disabled = true;
    const queue = wanted ? exposeDatabase(service(), requested) : unexposeDatabase(service());
    queue.then(
      (answer) => {
        pending = { jobId: answer.job.id, exposed: wanted };
        render();
      },
      (err: unknown) => {
        toastError(err, wanted ? 'Could not expose' : 'Could not unexpose');
        render();
      },
    );
  });

  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'job' && pending && change.job.id === pending.jobId) {
      const { status } = change.job;
      if (status === 'failed' || status === 'cancelled') {
        pending = null;
        toast(`${change.job.kind === 'expose' ? 'Expose' : 'Unexpose'} ${status}`, {
          kind: 'error',
          detail: change.job.error ?? '',
        });
        render();
      }
      return;
    }
    if (change.type === 'service' || change.type === 'snapshot') render();
  });
  render();

  const element = h(
    'section',
    { class: 'card expose-card', attrs: { 'aria-label': 'Public access' } },
    h('h3', { class: 'card-title' }, 'Public access'),
    h(
      'div',
      { class: 'expose-row' },
      h('label', { class: 'switch', attrs: { for: 'expose-switch' } }, toggle, 'Expose publicly'),
      field('Public port (optional)', port),
    ),
    state,
    h(
      'p',
      { class: 'hint' },
      'Anyone who can reach the server can try to connect while it is exposed: restrict the port with the server firewall. Stop needs the database unexposed first.',
    ),
  );
  return { element, dispose: unsubscribe };
}
