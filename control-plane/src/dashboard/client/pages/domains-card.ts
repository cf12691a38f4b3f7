/// <reference lib="dom" />
import type { Domain, DomainStatus, Service } from '@berth/protocol';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { certificateText } from '../format.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { badge, busy, button, errorBox, field, input, onSubmit, toastError } from '../ui.js';
import { numberValue } from './form-parts.js';
import type { TabView } from './service.js';

function routeText(domain: Domain): string {
  const parts = [`→ port ${domain.port}`];
  if (domain.https && !domain.redirectHttp) parts.push('HTTP not redirected');
  if (domain.https && domain.tls === 'internal') parts.push('internal TLS');
  return parts.join(' · ');
}

function checkbox(id: string, label: string, checked: boolean) {
  const control = h('input', { attrs: { type: 'checkbox', id, checked } });
  const element = h('label', { class: 'checkbox', attrs: { for: id } }, control, label);
  return { control, element };
}

/**
 * The service's domains: each host with its certificate (pending / issued, expires … /
 * failed: reason), a Remove button, and a form to add one. Both save the whole list with
 * `PATCH /services/:id {"domains": […]}`; the server's proxy picks the change up at once.
 */
/** `editable` false: the list only, for a role that cannot configure the service. */
export function domainsCard(model: ServiceModel, editable = true): TabView {
  const path = () => `/api/v1/services/${encodeURIComponent(model.service!.id)}`;
  const list = h('ul', { class: 'domain-list', attrs: { 'aria-label': 'Domains' } });
  const host = input({
    name: 'host',
    placeholder: 'app.example.com',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  host.classList.add('mono');
  const port = input({ type: 'number', name: 'port', min: 1, max: 65535, placeholder: '8080' });
  const https = checkbox('domain-https', 'HTTPS', true);
  const redirect = checkbox('domain-redirect', 'Redirect HTTP to HTTPS', true);
  const internal = checkbox('domain-internal', 'Internal TLS (the proxy’s own CA)', false);
  https.control.addEventListener('change', () => {
    redirect.control.disabled = !https.control.checked;
    internal.control.disabled = !https.control.checked;
  });
  const errors = errorBox();
  const add = button('Add domain', { kind: 'primary', submit: true });

  const save = async (domains: Domain[]): Promise<void> => {
    const updated = await api<Service>('PATCH', path(), { domains });
    model.applyService(updated);
  };

  const row = (domain: Domain, status: DomainStatus | undefined): HTMLElement => {
    const state = domain.https ? (status?.certificate ?? 'pending') : 'http';
    const remove = button('Remove', {
      kind: 'ghost',
      class: 'btn-small',
      attrs: { 'aria-label': `Remove ${domain.host}` },
    });
    remove.addEventListener('click', () => {
      void busy(remove, async () => {
        try {
          const rest = (model.service!.domains ?? []).filter((d) => d.host !== domain.host);
          await save(rest);
          toast(`Removed ${domain.host}`);
        } catch (err) {
          toastError(err, `Could not remove ${domain.host}`);
        }
      });
    });
    return h(
      'li',
      { class: 'domain', data: { host: domain.host, certificate: state } },
      h('span', { class: 'mono domain-host' }, domain.host),
      h('span', { class: 'hint' }, routeText(domain)),
      badge(state, certificateText(status, domain)),
      editable ? remove : null,
    );
  };

  const render = () => {
    const service = model.service!;
    const domains = service.domains ?? [];
    const statuses = new Map((service.domainStatus ?? []).map((s) => [s.host, s]));
    replace(
      list,
      ...(domains.length === 0
        ? [h('li', { class: 'hint' }, 'No domains yet.')]
        : domains.map((domain) => row(domain, statuses.get(domain.host)))),
    );
  };

  const form = h(
    'form',
    { class: 'stack domain-form', attrs: { 'aria-label': 'Add a domain' } },
    h(
      'div',
      { class: 'grid-2' },
      field('Host', host, 'Point its DNS A/AAAA record at this server first.'),
      field('Container port', port, 'The port the service listens on inside its container.'),
    ),
    h('div', { class: 'domain-options' }, https.element, redirect.element, internal.element),
    errors.element,
    h('div', { class: 'form-actions' }, add),
  );
  onSubmit(form, {
    submit: add,
    errors,
    run: async () => {
      const domain: Domain = {
        host: host.value.trim(),
        port: numberValue(port),
        https: https.control.checked,
        redirectHttp: https.control.checked && redirect.control.checked,
        tls: https.control.checked && internal.control.checked ? 'internal' : 'acme',
      };
      await save([...(model.service!.domains ?? []), domain]);
      toast(`Added ${domain.host}`, {
        detail: domain.https ? 'Its certificate is requested now.' : 'It is served over HTTP.',
      });
      host.value = '';
      port.value = '';
    },
    onError: () => host.focus(),
  });

  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'service' || change.type === 'snapshot') render();
  });
  render();

  const element = h(
    'section',
    { class: 'card domains-card', attrs: { 'aria-label': 'Domains' } },
    h('h3', { class: 'card-title' }, 'Domains'),
    h(
      'p',
      { class: 'hint' },
      'The server’s proxy sends requests for these hosts to the service, with certificates, and switches releases without downtime.',
    ),
    list,
    editable ? form : null,
  );
  return { element, dispose: unsubscribe };
}
