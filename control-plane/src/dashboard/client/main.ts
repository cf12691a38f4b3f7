/// <reference lib="dom" />
// The dashboard's entry point: sign-in gate, top bar, and the hash router.
import { loadSession, signOut, whenSignedOut } from './api.js';
import { h, replace } from './dom.js';
import { icon } from './icons.js';
import { environmentPage } from './pages/environment.js';
import { newServicePage } from './pages/new-service.js';
import type { Page, PageContext } from './pages/page.js';
import { projectPage } from './pages/project.js';
import { projectsPage } from './pages/projects.js';
import { servicePage } from './pages/service.js';
import { serversPage } from './pages/servers.js';
import { settingsPage } from './pages/settings.js';
import { signInView } from './pages/sign-in.js';
import { href, parseRoute, type Route } from './router.js';
import { emptyState } from './ui.js';

const root = document.getElementById('app')!;

let current: { key: string; page: Page; controller: AbortController } | null = null;
let signedIn = false;

function showSignIn(): void {
  signedIn = false;
  current?.controller.abort();
  current = null;
  root.removeAttribute('aria-busy');
  replace(
    root,
    signInView(() => start()),
  );
}

function layout(): { main: HTMLElement; nav: Map<string, HTMLAnchorElement> } {
  const nav = new Map<string, HTMLAnchorElement>();
  const link = (key: string, label: string, target: string, name: 'folder' | 'server' | 'key') => {
    const a = h(
      'a',
      { class: 'nav-link', attrs: { href: target } },
      icon(name),
      h('span', {}, label),
    );
    nav.set(key, a);
    return a;
  };
  const main = h('main', { class: 'main', attrs: { id: 'main', tabindex: '-1' } });
  const signOutButton = h(
    'button',
    {
      class: 'btn btn-ghost btn-small',
      attrs: { type: 'button', 'aria-label': 'Sign out' },
      on: {
        click: () => {
          void signOut().finally(showSignIn);
        },
      },
    },
    icon('logout'),
    h('span', { class: 'btn-label' }, 'Sign out'),
  );
  replace(
    root,
    h(
      'a',
      {
        class: 'skip-link',
        attrs: { href: '#main' },
        on: {
          click: (event) => {
            // The hash is the router's; move focus without touching it.
            event.preventDefault();
            main.focus();
          },
        },
      },
      'Skip to content',
    ),
    h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'topbar-inner' },
        h(
          'a',
          { class: 'brand', attrs: { href: href.projects() } },
          h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }),
          'Berth',
        ),
        h(
          'nav',
          { class: 'nav', attrs: { 'aria-label': 'Main' } },
          link('projects', 'Projects', href.projects(), 'folder'),
          link('servers', 'Servers', href.servers(), 'server'),
          link('settings', 'Settings', href.settings(), 'key'),
        ),
        signOutButton,
      ),
    ),
    main,
  );
  return { main, nav };
}

let shell: ReturnType<typeof layout> | null = null;
/** Routes of their own nav link; every other page is under Projects. */
const OTHER_SECTIONS: ReadonlySet<string> = new Set(['servers', 'settings']);

function render(route: Route): void {
  if (!signedIn || !shell) return;
  if (current && current.key === route.key && current.page.update) {
    current.page.update(route);
    return;
  }
  current?.controller.abort();
  const controller = new AbortController();
  const ctx: PageContext = { signal: controller.signal, onSignedOut: showSignIn };
  const page = pageFor(route, ctx);
  current = { key: route.key, page, controller };
  for (const [key, link] of shell.nav) {
    const active = key === 'projects' ? !OTHER_SECTIONS.has(route.name) : key === route.name;
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  replace(shell.main, page.element);
  window.scrollTo(0, 0);
}

function pageFor(route: Route, ctx: PageContext): Page {
  switch (route.name) {
    case 'projects':
      return projectsPage(ctx);
    case 'project':
      return projectPage(route.id, ctx);
    case 'environment':
      return environmentPage(route.id, ctx);
    case 'new-service':
      return newServicePage(route.id, ctx);
    case 'service':
      return servicePage(route, ctx);
    case 'servers':
      return serversPage(ctx);
    case 'settings':
      return settingsPage(ctx);
    case 'not-found':
      return {
        element: emptyState(
          'Page not found',
          'This address does not match any page.',
          h('a', { attrs: { href: href.projects() } }, 'Go to projects'),
        ),
      };
  }
}

function start(): void {
  signedIn = true;
  root.removeAttribute('aria-busy');
  shell = layout();
  current = null;
  render(parseRoute(location.hash));
}

whenSignedOut(() => {
  if (signedIn) showSignIn();
});
window.addEventListener('hashchange', () => render(parseRoute(location.hash)));

void loadSession().then(
  (ok) => (ok ? start() : showSignIn()),
  () => showSignIn(),
);
