/// <reference lib="dom" />
import type { Service } from '@berth/protocol';
import { canIn } from '../access.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { href } from '../router.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { onSubmit, button, errorBox, pageHeader } from '../ui.js';
import type { TabView } from './service.js';
import { connectionCard } from './connection.js';
import { domainsCard } from './domains-card.js';
import { exposeCard } from './expose-card.js';
import { gitCredentialCard } from './git-credential-card.js';
import { pushCard } from './push-card.js';
import { serviceFields } from './service-fields.js';

/**
 * The Overview tab: edit the source, ports, env and health check, then Save
 * (PATCH). Changes run with the next Deploy or Redeploy.
 */
export function overviewTab(model: ServiceModel): TabView {
  const service = model.service!;
  const settings = serviceFields(service);
  const errors = errorBox();
  const save = button('Save', { kind: 'primary', submit: true });
  const configure = canIn(model.projectId, 'configure');
  // Without the right to change them, the settings are shown read-only, with no Save.
  const fields = h('fieldset', { class: 'plain-fieldset', attrs: { disabled: !configure } });
  fields.append(settings.element);
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Service settings' } },
    fields,
    errors.element,
    h(
      'div',
      { class: 'form-actions' },
      h(
        'p',
        { class: 'hint' },
        configure
          ? 'Saved settings take effect with the next deployment. '
          : 'Your role can read these settings, not change them. ',
        h('a', { attrs: { href: href.service(service.id, 'deployments') } }, 'Go to Deployments'),
      ),
      configure ? save : null,
    ),
  );
  onSubmit(form, {
    submit: save,
    errors,
    run: async () => {
      const updated = await api<Service>(
        'PATCH',
        `/api/v1/services/${encodeURIComponent(service.id)}`,
        settings.read(),
      );
      model.applyService(updated);
      toast('Saved', { detail: 'Redeploy to run the new settings.' });
    },
    onError: () => {
      errors.element.scrollIntoView({ block: 'nearest' });
    },
  });
  // A database shows how to reach it, and whether it is reachable from outside, first.
  // Exposing a database, and the push webhook's secret, are for those who configure it.
  const cards =
    service.source.type === 'database'
      ? [connectionCard(model), ...(configure ? [exposeCard(model)] : [])]
      : service.source.type === 'git'
        ? [
            domainsCard(model, configure),
            gitCredentialCard(model),
            ...(configure && canIn(model.projectId, 'secrets') ? [pushCard(model)] : []),
          ]
        : [domainsCard(model, configure)];
  const element = h(
    'section',
    { class: 'overview-tab' },
    pageHeader({
      level: 'h2',
      title: 'Overview',
      description:
        service.source.type === 'database'
          ? 'Connection, public access, and the engine version and environment. Data lives in the service’s volume: to roll data back, restore a backup from the Backups tab.'
          : 'Source, ports, environment and health check. To roll back, point the source at a trusted ref, tag, commit or image digest, save, then Redeploy.',
    }),
    h('dl', { class: 'facts' }, h('dt', {}, 'Service ID'), h('dd', { class: 'mono' }, service.id)),
    ...cards.map((card) => card.element),
    form,
  );
  return { element, dispose: () => cards.forEach((card) => card.dispose()) };
}
