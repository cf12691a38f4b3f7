/// <reference lib="dom" />
import type { Registry } from '@berth/protocol';
import { isOwner } from '../access.js';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h } from '../dom.js';
import { toast } from '../toast.js';
import {
  busy,
  button,
  card,
  emptyState,
  errorBox,
  field,
  input,
  onSubmit,
  pageHeader,
  toastError,
} from '../ui.js';
import { auditCard } from './audit-card.js';
import { notificationsCard } from './notification-settings.js';
import { sessionsCard } from './sessions-card.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

/**
 * Settings: the registry credentials deployments log in with, and the projects' notification
 * targets. Passwords are written, never shown.
 */
export function settingsPage(ctx: PageContext): Page {
  setTitle('Settings');
  const list = h('div', { class: 'stack' });
  const reload = () => loadInto(list, () => registriesTable(reload), ctx.signal);
  const element = h(
    'div',
    { class: 'page' },
    pageHeader({
      title: 'Settings',
      description:
        'Registry credentials: deployments pull images and Dockerfile base images from these registries with their login. Notification targets: where each project reports its deployments and backups.',
    }),
    card(h('h2', { class: 'card-title' }, 'Registries'), list),
    // Credentials are shared by every project: only the owner adds, changes or removes them.
    isOwner() ? newRegistryForm(reload) : null,
    notificationsCard(ctx),
    sessionsCard(),
    auditCard(ctx),
  );
  reload();
  return { element };
}

async function registriesTable(reload: () => void): Promise<Node> {
  const registries = await api<Registry[]>('GET', '/api/v1/registries');
  if (registries.length === 0) {
    return emptyState(
      'No registry credentials',
      'Images from public registries need none. Add one below for a registry that wants a login.',
    );
  }
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'Registries' } },
      h(
        'thead',
        {},
        h('tr', {}, heading('Host'), heading('User name'), heading('Password'), heading('')),
      ),
      h(
        'tbody',
        {},
        ...registries.map((registry) =>
          h(
            'tr',
            { data: { registryId: registry.id } },
            h('td', { class: 'mono strong', data: { label: 'Host' } }, registry.host),
            h('td', { class: 'mono', data: { label: 'User name' } }, registry.username),
            h('td', { data: { label: 'Password' } }, 'set (never shown)'),
            h(
              'td',
              { class: 'row-actions-cell' },
              h(
                'div',
                { class: 'row-buttons' },
                isOwner()
                  ? button('Change password', { onClick: () => changePassword(registry) })
                  : null,
                isOwner()
                  ? button('Remove', {
                      kind: 'danger',
                      icon: 'trash',
                      onClick: () => confirmRemove(registry, reload),
                    })
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A field for a registry password; `new-password` keeps the browser from filling in a saved login. */
function passwordInput(): HTMLInputElement {
  return input({
    name: 'password',
    type: 'password',
    required: true,
    maxlength: 4096,
    autocomplete: 'new-password',
  });
}

function newRegistryForm(reload: () => void): HTMLElement {
  const host = input({
    name: 'host',
    required: true,
    maxlength: 255,
    autocomplete: 'off',
    placeholder: 'registry.example.com',
  });
  const username = input({ name: 'username', required: true, maxlength: 255, autocomplete: 'off' });
  const password = passwordInput();
  const errors = errorBox();
  const submit = button('Add registry', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'New registry' } },
    field(
      'Host',
      host,
      'As image names write it, e.g. ghcr.io or 10.0.0.5:5000; docker.io for Docker Hub',
    ),
    field('User name', username),
    field('Password or token', password),
    submit,
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const added = await api<Registry>('POST', '/api/v1/registries', {
        host: host.value,
        username: username.value,
        password: password.value,
      });
      form.reset();
      toast(`Added a credential for ${added.host}`, { kind: 'success' });
      reload();
    },
  });
  return card(h('h2', { class: 'card-title' }, 'Add a registry'), errors.element, form);
}

function changePassword(registry: Registry): void {
  const password = passwordInput();
  const errors = errorBox();
  const save = button('Save', { kind: 'primary' });
  const dialog = openDialog({
    title: `Change the password for ${registry.host}`,
    description: `The next deployments log in to ${registry.host} as ${registry.username} with it.`,
    body: h('div', { class: 'stack' }, errors.element, field('New password or token', password)),
    actions: (close) => [button('Cancel', { onClick: close }), save],
    initialFocus: () => password,
  });
  save.addEventListener('click', () => {
    errors.clear();
    void busy(save, async () => {
      try {
        await api('PATCH', `/api/v1/registries/${encodeURIComponent(registry.id)}`, {
          password: password.value,
        });
        dialog.close();
        toast(`Changed the password for ${registry.host}`, { kind: 'success' });
      } catch (err) {
        errors.show(err);
      }
    });
  });
}

function confirmRemove(registry: Registry, reload: () => void): void {
  const remove = button('Remove', { kind: 'danger', icon: 'trash' });
  const dialog = openDialog({
    title: `Remove the credential for ${registry.host}?`,
    description:
      'Deployments that pull from this registry fail with "authentication failed" until a credential is added again.',
    actions: (close) => [button('Cancel', { onClick: close }), remove],
  });
  remove.addEventListener('click', () => {
    void busy(remove, async () => {
      try {
        await api('DELETE', `/api/v1/registries/${encodeURIComponent(registry.id)}`);
        dialog.close();
        toast(`Removed the credential for ${registry.host}`, { kind: 'success' });
        reload();
      } catch (err) {
        toastError(err, 'Could not remove the credential');
      }
    });
  });
}
