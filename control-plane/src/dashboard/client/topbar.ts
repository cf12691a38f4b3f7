/// <reference lib="dom" />
// The top bar: the brand, the main navigation, who is signed in, and Sign out.
import type { User } from '@berth/protocol';
import { h } from './dom.js';
import { icon, type IconName } from './icons.js';
import { href } from './router.js';

export interface Shell {
  main: HTMLElement;
  nav: Map<string, HTMLAnchorElement>;
  header: HTMLElement;
  skipLink: HTMLElement;
}

/** How the signed-in user reads in the bar: "ada · member". */
export function userLabel(user: User): string {
  return `${user.name} · ${user.role}`;
}

export function topbar(user: User, onSignOut: () => void): Shell {
  const nav = new Map<string, HTMLAnchorElement>();
  const link = (key: string, label: string, target: string, name: IconName) => {
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
      on: { click: onSignOut },
    },
    icon('logout'),
    h('span', { class: 'btn-label' }, 'Sign out'),
  );
  const account = link('account', userLabel(user), href.account(), 'users');
  account.classList.add('nav-user');
  account.setAttribute('title', 'Your account: password, two-factor and API tokens');
  const skipLink = h(
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
  );
  const header = h(
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
        user.role === 'owner' ? link('users', 'Users', href.users(), 'users') : null,
      ),
      account,
      signOutButton,
    ),
  );
  return { main, nav, header, skipLink };
}
