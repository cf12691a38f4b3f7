/// <reference lib="dom" />
import type { ApiToken, Project, TokenScope } from '@berth/protocol';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { absoluteTime, relativeTime } from '../format.js';
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
  toastError,
} from '../ui.js';
import { checkChoice, numberValue, shownOnce } from './form-parts.js';

const SCOPES: { scope: TokenScope; label: string }[] = [
  { scope: 'read', label: 'read' },
  { scope: 'deploy', label: 'deploy' },
  { scope: 'admin', label: 'admin' },
];

/**
 * Personal API tokens: each acts as its user, capped by its scopes and, optionally, one
 * project. The token itself is answered once, when it is made.
 */
export function tokensCard(projects: Project[]): HTMLElement {
  const list = h('div', {});
  const created = h('div', {});
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const reload = () => {
    api<ApiToken[]>('GET', '/api/v1/tokens').then(
      (tokens) => replace(list, tokensTable(tokens, names, reload)),
      (err: unknown) => replace(list, h('p', { class: 'form-error' }, String(err))),
    );
  };
  reload();
  const element = card(
    h('h2', { class: 'card-title' }, 'API tokens'),
    h(
      'p',
      { class: 'muted' },
      'For scripts and CI: send one as "Authorization: Bearer <token>". A token can do what you can, within its scopes.',
    ),
    list,
    created,
    newTokenForm(projects, (token) => {
      replace(
        created,
        shownOnce(
          'New API token',
          token.token ?? '',
          `Copy the token "${token.name}" now: it is not shown again.`,
        ),
      );
      reload();
    }),
  );
  element.setAttribute('aria-label', 'API tokens');
  return element;
}

function tokensTable(
  tokens: ApiToken[],
  names: Map<string, string>,
  reload: () => void,
): HTMLElement {
  if (tokens.length === 0) return emptyState('No API tokens', 'Create one below.');
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  const when = (iso: string | undefined, none: string) =>
    iso ? h('span', { attrs: { title: absoluteTime(iso) } }, relativeTime(iso)) : none;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'API tokens' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Scopes', 'Project', 'Created', 'Expires', 'Last used', ''].map(heading),
        ),
      ),
      h(
        'tbody',
        {},
        ...tokens.map((token) => {
          const revoke = button('Revoke', { kind: 'danger', class: 'btn-small' });
          revoke.addEventListener('click', () => {
            void busy(revoke, async () => {
              try {
                await api('DELETE', `/api/v1/tokens/${encodeURIComponent(token.id)}`);
                toast(`Revoked ${token.name}`);
                reload();
              } catch (err) {
                toastError(err, 'Could not revoke the token');
              }
            });
          });
          return h(
            'tr',
            { data: { tokenId: token.id } },
            h('td', { class: 'strong', data: { label: 'Name' } }, token.name),
            h('td', { class: 'mono', data: { label: 'Scopes' } }, token.scopes.join(', ')),
            h(
              'td',
              { data: { label: 'Project' } },
              token.projectId ? (names.get(token.projectId) ?? token.projectId) : 'all',
            ),
            h('td', { data: { label: 'Created' } }, when(token.createdAt, '')),
            h(
              'td',
              { data: { label: 'Expires' } },
              token.expiresAt ? absoluteTime(token.expiresAt) : 'never',
            ),
            h('td', { data: { label: 'Last used' } }, when(token.lastUsedAt, 'never')),
            h('td', { class: 'row-actions-cell' }, revoke),
          );
        }),
      ),
    ),
  );
}

function newTokenForm(projects: Project[], onCreated: (token: ApiToken) => void): HTMLElement {
  const name = input({ name: 'name', required: true, maxlength: 100, placeholder: 'ci-deploy' });
  const scopes = SCOPES.map((s) => checkChoice('scopes', s.scope, s.label, s.scope === 'read'));
  const project = h(
    'select',
    { class: 'input', attrs: { name: 'projectId' } },
    h('option', { attrs: { value: '' } }, 'All my projects'),
    ...projects.map((p) => h('option', { attrs: { value: p.id } }, p.name)),
  );
  const expires = input({ name: 'expiresInDays', type: 'number', min: 1, max: 3650 });
  const errors = errorBox();
  const submit = button('Create token', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'New API token' } },
    field('Token name', name),
    h(
      'fieldset',
      { class: 'fieldset' },
      h('legend', {}, 'Scopes'),
      h('p', { class: 'hint' }, 'read: see; deploy: deploy and restart; admin: change settings.'),
      h('div', { class: 'choices' }, ...scopes.map((s) => s.element)),
    ),
    h(
      'div',
      { class: 'grid-2' },
      field('Project', project),
      field('Expires after (days)', expires, 'Empty: never.'),
    ),
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const days = numberValue(expires);
      const token = await api<ApiToken>('POST', '/api/v1/tokens', {
        name: name.value.trim(),
        scopes: scopes.filter((s) => s.control.checked).map((s) => s.control.value),
        ...(project.value ? { projectId: project.value } : {}),
        ...(Number.isNaN(days) ? {} : { expiresInDays: days }),
      });
      form.reset();
      onCreated(token);
    },
  });
  return form;
}
