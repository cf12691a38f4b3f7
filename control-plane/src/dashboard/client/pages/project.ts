/// <reference lib="dom" />
import type { Environment, Project, Server } from '@berth/protocol';
import { canIn } from '../access.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { href, navigate } from '../router.js';
import {
  badge,
  breadcrumb,
  onSubmit,
  button,
  card,
  emptyState,
  errorBox,
  field,
  input,
  pageHeader,
} from '../ui.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

export function projectPage(projectId: string, ctx: PageContext): Page {
  const element = h('div', { class: 'page' });
  loadInto(
    element,
    async () => {
      const [project, environments, servers] = await Promise.all([
        api<Project>('GET', `/api/v1/projects/${encodeURIComponent(projectId)}`),
        api<Environment[]>('GET', `/api/v1/projects/${encodeURIComponent(projectId)}/environments`),
        api<Server[]>('GET', '/api/v1/servers'),
      ]);
      setTitle(project.name);
      const serverById = new Map(servers.map((s) => [s.id, s]));
      return h(
        'div',
        { class: 'stack' },
        breadcrumb([{ label: 'Projects', href: href.projects() }, { label: project.name }]),
        pageHeader({
          title: project.name,
          description: 'Environments of this project. Each one runs its services on one server.',
        }),
        environments.length === 0
          ? emptyState('No environments yet', 'Create one below and choose the server it runs on.')
          : h(
              'ul',
              { class: 'tiles' },
              ...environments.map((environment) => {
                const server = serverById.get(environment.serverId);
                return h(
                  'li',
                  {},
                  h(
                    'a',
                    { class: 'tile', attrs: { href: href.environment(environment.id) } },
                    icon('folder', 20),
                    h(
                      'span',
                      { class: 'tile-title' },
                      environment.name,
                      h(
                        'span',
                        { class: 'tile-meta' },
                        icon('server', 14),
                        server ? server.name : 'server removed',
                      ),
                    ),
                    server ? badge(server.status) : badge('offline', 'removed'),
                    icon('chevron', 16),
                  ),
                );
              }),
            ),
        canIn(project.id, 'configure') ? newEnvironmentForm(project, servers) : null,
      );
    },
    ctx.signal,
  );
  return { element };
}

function newEnvironmentForm(project: Project, servers: Server[]): HTMLElement {
  if (servers.length === 0) {
    return card(
      h('h2', { class: 'card-title' }, 'New environment'),
      h(
        'p',
        {},
        'An environment runs on a server, and none is connected yet. ',
        h('a', { attrs: { href: href.servers() } }, 'Add a server'),
        ' first.',
      ),
    );
  }
  const name = input({ name: 'name', required: true, maxlength: 100, value: 'production' });
  const server = h(
    'select',
    { class: 'input', attrs: { name: 'serverId', required: true } },
    ...servers.map((s) => h('option', { attrs: { value: s.id } }, `${s.name} (${s.status})`)),
  );
  const errors = errorBox();
  const submit = button('Create environment', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    { class: 'inline-form', attrs: { 'aria-label': 'New environment' } },
    field('Environment name', name),
    field('Server', server),
    submit,
  );
  onSubmit(form, {
    submit: submit,
    errors,
    run: async () => {
      const environment = await api<Environment>(
        'POST',
        `/api/v1/projects/${encodeURIComponent(project.id)}/environments`,
        { name: name.value, serverId: server.value },
      );
      navigate(href.environment(environment.id));
    },
  });
  return card(h('h2', { class: 'card-title' }, 'New environment'), errors.element, form);
}
