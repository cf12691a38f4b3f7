/// <reference lib="dom" />
// The dashboard's entry point: sign-in gate, top bar, and the hash router.
import { currentUser } from './access.js';
import { loadSession, signOut, whenSignedOut } from './api.js';
import { h, replace } from './dom.js';
import { accountPage } from './pages/account.js';
import { environmentPage } from './pages/environment.js';
import { inviteView } from './pages/invite.js';
import { newServicePage } from './pages/new-service.js';
import type { Page, PageContext } from './pages/page.js';
import { projectPage } from './pages/project.js';
import { projectsPage } from './pages/projects.js';
import { servicePage } from './pages/service.js';
import { serversPage } from './pages/servers.js';
import { settingsPage } from './pages/settings.js';
import { signInView } from './pages/sign-in.js';
import { usersPage } from './pages/users.js';
import { href, parseRoute, type Route } from './router.js';
import { topbar, type Shell } from './topbar.js';
import { emptyState } from './ui.js';

const root = document.getElementById('app')!;

let current: { key: string; page: Page; controller: AbortController } | null = null;
let signedIn = false;
let shell: Shell | null = null;

/** Shows a form instead of the app: sign-in, or an invite's "Create your account". */
function showGate(view: HTMLElement): void {
  signedIn = false;
  shell = null;
  current?.controller.abort();
  current = null;
  root.removeAttribute('aria-busy');
  replace(root, view);
}

function showSignIn(): void {
  const route = parseRoute(location.hash);
  if (route.name === 'invite') showGate(inviteView(route.id, start));
  else showGate(signInView(start));
}

/** Routes of their own nav link; every other page is under Projects. */
const OTHER_SECTIONS: ReadonlySet<string> = new Set(['servers', 'settings', 'users', 'account']);

function render(route: Route): void {
  if (route.name === 'invite') {
    showSignIn();
    return;
  }
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

function notFound(): Page {
  return {
    element: emptyState(
      'Page not found',
      'This address does not match any page.',
      h('a', { attrs: { href: href.projects() } }, 'Go to projects'),
    ),
  };
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
    case 'account':
      return accountPage(ctx);
    case 'users':
      return currentUser()?.role === 'owner' ? usersPage(ctx) : notFound();
    case 'invite':
    case 'not-found':
      return notFound();
  }
}

function start(): void {
  const user = currentUser();
  if (!user) {
    showSignIn();
    return;
  }
  signedIn = true;
  root.removeAttribute('aria-busy');
  shell = topbar(user, () => {
    void signOut().finally(showSignIn);
  });
  replace(root, shell.skipLink, shell.header, shell.main);
  current = null;
  render(parseRoute(location.hash));
}

whenSignedOut(() => {
  if (signedIn) showSignIn();
});
window.addEventListener('hashchange', () => render(parseRoute(location.hash)));

if (parseRoute(location.hash).name === 'invite') {
  showSignIn();
} else {
  void loadSession().then(
    (ok) => (ok ? start() : showSignIn()),
    () => showSignIn(),
  );
}
