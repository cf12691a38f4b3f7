/// <reference lib="dom" />
import type { Backup, Job, Service } from '@berth/protocol';
import { h, replace } from '../dom.js';
import { sourceSummary } from '../format.js';
import { openLiveStream } from '../live.js';
import { href, navigate, type Route, type ServiceTab } from '../router.js';
import { ServiceModel, type DeploymentItem } from '../service-model.js';
import { api, ApiError } from '../api.js';
import { badge, breadcrumb, emptyState, setBadge } from '../ui.js';
import { backupsTab } from './backups.js';
import { containerLogsTab } from './container-logs.js';
import { deploymentsTab } from './deployments.js';
import { loadEnvironmentContext } from './environment.js';
import { overviewTab } from './overview.js';
import { loadingView, setTitle, type Page, type PageContext } from './page.js';

const TAB_LABELS: Record<ServiceTab, string> = {
  deployments: 'Deployments',
  overview: 'Overview',
  logs: 'Logs',
  backups: 'Backups',
};

export interface TabView {
  element: HTMLElement;
  dispose(): void;
}

/**
 * A service with its tabs. One change stream feeds every tab, so switching tabs
 * neither reloads the page nor opens another stream.
 */
export function servicePage(route: Route, ctx: PageContext): Page {
  const serviceId = route.id;
  const model = new ServiceModel();
  const crumbs = h('div', {}, breadcrumb([{ label: 'Projects', href: href.projects() }]));
  const title = h('h1', { class: 'page-title' }, '…');
  const status = badge('unknown', '…');
  const source = h('p', { class: 'page-description mono' });
  const tabLinks = new Map<ServiceTab, HTMLAnchorElement>();
  const tabList = h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Service' } });
  for (const tab of Object.keys(TAB_LABELS) as ServiceTab[]) {
    const link = h(
      'a',
      {
        class: 'tab',
        attrs: { href: href.service(serviceId, tab), role: 'tab', id: `tab-${tab}` },
      },
      TAB_LABELS[tab],
    );
    tabLinks.set(tab, link);
    tabList.appendChild(link);
  }
  // Arrow keys move between tabs, as in any tab list; Tab goes on into the panel.
  tabList.addEventListener('keydown', (event) => {
    const tabs = [...tabLinks.keys()].filter((name) => !tabLinks.get(name)!.hidden);
    const index = tabs.indexOf(tab);
    const target =
      event.key === 'ArrowRight'
        ? tabs[(index + 1) % tabs.length]
        : event.key === 'ArrowLeft'
          ? tabs[(index + tabs.length - 1) % tabs.length]
          : event.key === 'Home'
            ? tabs[0]
            : event.key === 'End'
              ? tabs[tabs.length - 1]
              : undefined;
    if (!target) return;
    event.preventDefault();
    navigate(href.service(serviceId, target));
    tabLinks.get(target)?.focus();
  });
  const panel = h('div', { class: 'tab-panel', attrs: { role: 'tabpanel' } }, loadingView());
  const element = h(
    'div',
    { class: 'page' },
    crumbs,
    h(
      'div',
      { class: 'service-header' },
      h('div', { class: 'service-title' }, title, status),
      source,
    ),
    tabList,
    panel,
  );

  let tab: ServiceTab = route.tab;
  let view: TabView | null = null;
  const showTab = (next: ServiceTab) => {
    tab = next;
    for (const [name, link] of tabLinks) {
      const selected = name === next;
      link.setAttribute('aria-selected', String(selected));
      link.tabIndex = selected ? 0 : -1;
      link.classList.toggle('tab-selected', selected);
    }
    panel.setAttribute('aria-labelledby', `tab-${next}`);
    if (!model.ready || !accessKnown) return;
    view?.dispose();
    view = tabView(next, model, ctx);
    replace(panel, view.element);
  };

  const renderHeader = (service: Service) => {
    title.textContent = service.name;
    setBadge(status, service.status);
    source.textContent = sourceSummary(service.source);
    // Only databases have backups.
    tabLinks.get('backups')!.hidden = service.source.type !== 'database';
  };

  let breadcrumbLoaded = false;
  // The tabs wait for the project: which buttons they offer depends on the role in it.
  let accessKnown = false;
  model.subscribe((change) => {
    if (!model.service) return;
    if (change.type === 'snapshot' || change.type === 'service') renderHeader(model.service);
    if (change.type === 'snapshot' && !view) showTab(tab);
    if (!breadcrumbLoaded) {
      breadcrumbLoaded = true;
      void loadBreadcrumb(crumbs, model.service).then((projectId) => {
        model.projectId = projectId;
        accessKnown = true;
        if (!view && !ctx.signal.aborted) showTab(tab);
      });
    }
  });

  const stream = openLiveStream({
    url: () => `/api/v1/events?serviceId=${encodeURIComponent(serviceId)}`,
    signal: ctx.signal,
    onSignedOut: ctx.onSignedOut,
    onState: (state) => {
      // A stream that never opened may be refused for good: say why instead of retrying.
      if (state !== 'retrying' || model.ready) return;
      api<Service>('GET', `/api/v1/services/${encodeURIComponent(serviceId)}`).catch(
        (err: unknown) => {
          if (!(err instanceof ApiError) || err.status !== 404) return;
          stream.close();
          replace(panel, emptyState('Service not found', err.message));
          title.textContent = 'Service not found';
        },
      );
    },
    on: {
      snapshot: (data) =>
        model.applySnapshot(
          data as { service: Service; deployments: DeploymentItem[]; hasMore: boolean },
        ),
      service: (data) => model.applyService(data as Service),
      deployment: (data) => model.applyDeployment(data as DeploymentItem),
      job: (data) => model.applyJob(data as Job),
      backup: (data) => model.applyBackup(data as Backup),
    },
  });
  ctx.signal.addEventListener('abort', () => view?.dispose());
  showTab(tab);
  return {
    element,
    update(next) {
      if (next.tab !== tab) showTab(next.tab);
    },
  };
}

function tabView(tab: ServiceTab, model: ServiceModel, ctx: PageContext): TabView {
  switch (tab) {
    case 'deployments':
      return deploymentsTab(model, ctx);
    case 'overview':
      return overviewTab(model);
    case 'logs':
      return containerLogsTab(model, ctx);
    case 'backups':
      return backupsTab(model);
  }
}

/** Fills the breadcrumb; answers the service's project, undefined when it cannot be read. */
async function loadBreadcrumb(target: HTMLElement, service: Service): Promise<string | undefined> {
  setTitle(service.name);
  try {
    const { environment, project } = await loadEnvironmentContext(service.environmentId);
    setTitle(service.name, environment.name, project.name);
    replace(
      target,
      breadcrumb([
        { label: 'Projects', href: href.projects() },
        { label: project.name, href: href.project(project.id) },
        { label: environment.name, href: href.environment(environment.id) },
        { label: service.name },
      ]),
    );
    return project.id;
  } catch {
    // The breadcrumb is a convenience; the page works without it, offering only reading.
    return undefined;
  }
}
