/// <reference lib="dom" />
import type { Service } from '@berth/protocol';
import { api } from '../api.js';
import { h } from '../dom.js';
import { href, navigate } from '../router.js';
import { breadcrumb, onSubmit, button, errorBox, field, input, pageHeader } from '../ui.js';
import { loadEnvironmentContext } from './environment.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';
import { serviceFields } from './service-fields.js';

export function newServicePage(environmentId: string, ctx: PageContext): Page {
  const element = h('div', { class: 'page page-narrow' });
  loadInto(
    element,
    async () => {
      const { environment, project } = await loadEnvironmentContext(environmentId);
      setTitle('New service', environment.name, project.name);
      const name = input({ name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
      const settings = serviceFields();
      const errors = errorBox();
      const submit = button('Create service', { kind: 'primary', icon: 'plus', submit: true });
      const form = h(
        'form',
        { class: 'stack', attrs: { 'aria-label': 'New service' } },
        h('div', { class: 'card' }, field('Service name', name)),
        settings.element,
        errors.element,
        h(
          'div',
          { class: 'form-actions' },
          h(
            'a',
            { class: 'btn btn-ghost', attrs: { href: href.environment(environment.id) } },
            h('span', { class: 'btn-label' }, 'Cancel'),
          ),
          submit,
        ),
      );
      onSubmit(form, {
        submit: submit,
        errors,
        run: async () => {
          const service = await api<Service>(
            'POST',
            `/api/v1/environments/${encodeURIComponent(environment.id)}/services`,
            { name: name.value, ...settings.read() },
          );
          navigate(href.service(service.id));
        },
        onError: () => {
          errors.element.scrollIntoView({ block: 'nearest' });
        },
      });
      return h(
        'div',
        { class: 'stack' },
        breadcrumb([
          { label: 'Projects', href: href.projects() },
          { label: project.name, href: href.project(project.id) },
          { label: environment.name, href: href.environment(environment.id) },
          { label: 'New service' },
        ]),
        pageHeader({
          title: 'New service',
          description: `It will run on the server of ${environment.name}. Nothing is deployed until you press Deploy.`,
        }),
        form,
      );
    },
    ctx.signal,
  );
  return { element };
}
