/// <reference lib="dom" />
import type { Environment, Project, Server, Service } from '@berth/protocol';
import { canIn } from '../access.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { sourceSummary } from '../format.js';
import { icon } from '../icons.js';
import { href } from '../router.js';
import { badge, breadcrumb, emptyState, pageHeader } from '../ui.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

/** The environment, its project and its server, for breadcrumbs and headers. */
export async function loadEnvironmentContext(environmentId: string) {
  const environment = await api<Environment>(
    'GET',
    `/api/v1/environments/${encodeURIComponent(environmentId)}`,
  );
  const [project, servers] = await Promise.all([
    api<Project>('GET', `/api/v1/projects/${encodeURIComponent(environment.projectId)}`),
    api<Server[]>('GET', '/api/v1/servers'),
  ]);
  const server = servers.find((s) => s.id === environment.serverId);
  return { environment, project, server };
}

export function environmentPage(environmentId: string, ctx: PageContext): Page {
  const element = h('div', { class: 'page' });
  loadInto(
    element,
    async () => {
      const [{ environment, project, server }, services] = await Promise.all([
        loadEnvironmentContext(environmentId),
        api<Service[]>('GET', `/api/v1/environments/${encodeURIComponent(environmentId)}/services`),
      ]);
      setTitle(environment.name, project.name);
      const configure = canIn(project.id, 'configure');
      const add = h(
        'a',
        { class: 'btn btn-primary', attrs: { href: href.newService(environment.id) } },
        icon('plus'),
        h('span', { class: 'btn-label' }, 'New service'),
      );
      return h(
        'div',
        { class: 'stack' },
        breadcrumb([
          { label: 'Projects', href: href.projects() },
          { label: project.name, href: href.project(project.id) },
          { label: environment.name },
        ]),
        pageHeader({
          title: environment.name,
          description: server
            ? `Services of this environment run on ${server.name}.`
            : 'The server of this environment was removed.',
          actions: configure ? [add] : [],
        }),
        services.length === 0
          ? emptyState(
              'No services yet',
              'A service runs a git repository (built with its Dockerfile) or a Docker image.',
              configure
                ? h(
                    'a',
                    {
                      class: 'btn btn-secondary',
                      attrs: { href: href.newService(environment.id) },
                    },
                    h('span', { class: 'btn-label' }, 'Create a service'),
                  )
                : null,
            )
          : servicesTable(services),
      );
    },
    ctx.signal,
  );
  return { element };
}

function servicesTable(services: Service[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { attrs: { scope: 'col' } }, 'Service'),
          h('th', { attrs: { scope: 'col' } }, 'Source'),
          h('th', { attrs: { scope: 'col' } }, 'Status'),
        ),
      ),
      h(
        'tbody',
        {},
        ...services.map((service) =>
          h(
            'tr',
            {},
            h(
              'td',
              { data: { label: 'Service' } },
              h(
                'a',
                { class: 'strong-link', attrs: { href: href.service(service.id) } },
                service.name,
              ),
            ),
            h(
              'td',
              { class: 'mono muted', data: { label: 'Source' } },
              sourceSummary(service.source),
            ),
            h('td', { data: { label: 'Status' } }, badge(service.status)),
          ),
        ),
      ),
    ),
  );
}
