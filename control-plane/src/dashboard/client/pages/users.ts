/// <reference lib="dom" />
import type { Project, User } from '@berth/protocol';
import { grantsSummary } from '../access.js';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h } from '../dom.js';
import { absoluteTime, relativeTime } from '../format.js';
import { toast } from '../toast.js';
import { badge, busy, button, card, errorBox, pageHeader, toastError } from '../ui.js';
import { grantsEditor } from './grants-editor.js';
import { invitesCard } from './invites-card.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

/** The owner's Users page: who can sign in, with which roles in which projects, and invites. */
export function usersPage(ctx: PageContext): Page {
  setTitle('Users');
  const list = h('div', {});
  const invites = h('div', {});
  const load = async (): Promise<Node> => {
    const [users, projects] = await Promise.all([
      api<User[]>('GET', '/api/v1/users'),
      api<Project[]>('GET', '/api/v1/projects'),
    ]);
    loadInto(invites, async () => invitesCard(projects, ctx), ctx.signal);
    return usersTable(users, projects, () => loadInto(list, load, ctx.signal));
  };
  loadInto(list, load, ctx.signal);
  const element = h(
    'div',
    { class: 'page' },
    pageHeader({
      title: 'Users',
      description:
        'People who sign in to this Berth, and their role in each project. Invite someone with a one-time link.',
    }),
    card(h('h2', { class: 'card-title' }, 'Users'), list),
    invites,
  );
  return { element };
}

function usersTable(users: User[], projects: Project[], reload: () => void): HTMLElement {
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'Users' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Role', 'Projects', 'Two-factor', 'Last sign-in', 'Status', ''].map(heading),
        ),
      ),
      h(
        'tbody',
        {},
        ...users.map((user) =>
          h(
            'tr',
            { data: { userId: user.id, userName: user.name } },
            h('td', { class: 'strong', data: { label: 'Name' } }, user.name),
            h('td', { data: { label: 'Role' } }, user.role),
            h(
              'td',
              { data: { label: 'Projects' } },
              user.role === 'owner' ? 'admin in all' : grantsSummary(user.projects, names),
            ),
            h('td', { data: { label: 'Two-factor' } }, user.totpEnabled ? 'on' : 'off'),
            h(
              'td',
              { data: { label: 'Last sign-in' } },
              user.lastSignInAt
                ? h(
                    'span',
                    { attrs: { title: absoluteTime(user.lastSignInAt) } },
                    relativeTime(user.lastSignInAt),
                  )
                : 'never',
            ),
            h(
              'td',
              { data: { label: 'Status' } },
              user.disabled ? badge('failed', 'disabled') : badge('succeeded', 'active'),
            ),
            h(
              'td',
              { class: 'row-actions-cell' },
              user.role === 'owner' ? null : userButtons(user, projects, reload),
            ),
          ),
        ),
      ),
    ),
  );
}

function userButtons(user: User, projects: Project[], reload: () => void): HTMLElement {
  const path = `/api/v1/users/${encodeURIComponent(user.id)}`;
  const toggle = button(user.disabled ? 'Enable' : 'Disable', { class: 'btn-small' });
  toggle.addEventListener('click', () => {
    void busy(toggle, async () => {
      try {
        await api('PATCH', path, { disabled: !user.disabled });
        toast(`${user.disabled ? 'Enabled' : 'Disabled'} ${user.name}`);
        reload();
      } catch (err) {
        toastError(err);
      }
    });
  });
  return h(
    'div',
    { class: 'row-buttons' },
    button('Edit roles', {
      class: 'btn-small',
      onClick: () => editRoles(user, projects, reload),
    }),
    toggle,
    button('Remove', {
      kind: 'danger',
      class: 'btn-small',
      icon: 'trash',
      onClick: () => confirmRemove(user, reload),
    }),
  );
}

function editRoles(user: User, projects: Project[], reload: () => void): void {
  const grants = grantsEditor(projects, user.projects);
  const errors = errorBox();
  const save = button('Save', { kind: 'primary' });
  const dialog = openDialog({
    title: `Roles of ${user.name}`,
    description: 'Projects without a role are invisible to this user.',
    body: h('div', { class: 'stack' }, errors.element, grants.element),
    actions: (close) => [button('Cancel', { onClick: close }), save],
  });
  save.addEventListener('click', () => {
    errors.clear();
    void busy(save, async () => {
      try {
        await api('PATCH', `/api/v1/users/${encodeURIComponent(user.id)}`, {
          projects: grants.read(),
        });
        dialog.close();
        toast(`Saved the roles of ${user.name}`, { kind: 'success' });
        reload();
      } catch (err) {
        errors.show(err);
      }
    });
  });
}

function confirmRemove(user: User, reload: () => void): void {
  const remove = button('Remove', { kind: 'danger', icon: 'trash' });
  const dialog = openDialog({
    title: `Remove ${user.name}?`,
    description:
      'They can no longer sign in or use their API tokens. The audit log keeps what they did.',
    actions: (close) => [button('Cancel', { onClick: close }), remove],
  });
  remove.addEventListener('click', () => {
    void busy(remove, async () => {
      try {
        await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}`);
        dialog.close();
        toast(`Removed ${user.name}`, { kind: 'success' });
        reload();
      } catch (err) {
        toastError(err, `Could not remove ${user.name}`);
      }
    });
  });
}
