/// <reference lib="dom" />
import type { Invite, Project } from '@berth/protocol';
import { grantsSummary } from '../access.js';
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
import { shownOnce } from './form-parts.js';
import { grantsEditor } from './grants-editor.js';
import { loadInto, type PageContext } from './page.js';

/**
 * Invites: a one-time link that makes an account with the projects and roles chosen here. No
 * mail is sent: the owner passes the link on. The link is answered once, when it is made.
 */
export function invitesCard(projects: Project[], ctx: PageContext): HTMLElement {
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const list = h('div', {});
  const created = h('div', {});
  const reload = () =>
    loadInto(
      list,
      async () => invitesTable(await api<Invite[]>('GET', '/api/v1/invites'), names, reload),
      ctx.signal,
    );
  reload();
  const element = card(
    h('h2', { class: 'card-title' }, 'Invites'),
    list,
    created,
    newInviteForm(projects, (invite) => {
      replace(
        created,
        shownOnce(
          'Invite link',
          invite.url ?? '',
          'Pass this link on to the person you invite: it is shown only now, works once, and expires.',
        ),
      );
      reload();
    }),
  );
  element.setAttribute('aria-label', 'Invites');
  return element;
}

function invitesTable(invites: Invite[], names: Map<string, string>, reload: () => void): Node {
  if (invites.length === 0) return emptyState('No invites', 'Invite someone below.');
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  const time = (iso: string) =>
    h('span', { attrs: { title: absoluteTime(iso) } }, relativeTime(iso));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', attrs: { 'aria-label': 'Invites' } },
      h(
        'thead',
        {},
        h('tr', {}, ...['Note', 'Projects', 'Created', 'Expires', 'Used', ''].map(heading)),
      ),
      h(
        'tbody',
        {},
        ...invites.map((invite) => {
          const remove = button('Delete', { kind: 'danger', class: 'btn-small', icon: 'trash' });
          remove.addEventListener('click', () => {
            void busy(remove, async () => {
              try {
                await api('DELETE', `/api/v1/invites/${encodeURIComponent(invite.id)}`);
                toast('Deleted the invite');
                reload();
              } catch (err) {
                toastError(err, 'Could not delete the invite');
              }
            });
          });
          return h(
            'tr',
            { data: { inviteId: invite.id } },
            h('td', { data: { label: 'Note' } }, invite.note ?? ''),
            h('td', { data: { label: 'Projects' } }, grantsSummary(invite.projects, names)),
            h('td', { data: { label: 'Created' } }, time(invite.createdAt)),
            // A time to come: as a date, since relative times read the past.
            h('td', { data: { label: 'Expires' } }, absoluteTime(invite.expiresAt)),
            h('td', { data: { label: 'Used' } }, invite.usedAt ? time(invite.usedAt) : 'not yet'),
            h('td', { class: 'row-actions-cell' }, remove),
          );
        }),
      ),
    ),
  );
}

function newInviteForm(projects: Project[], onCreated: (invite: Invite) => void): HTMLElement {
  const grants = grantsEditor(projects, {});
  const note = input({ name: 'note', maxlength: 200, placeholder: 'Who it is for' });
  const errors = errorBox();
  const submit = button('Create invite', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'New invite' } },
    grants.element,
    field('Note', note, 'Only you see it, in the list above.'),
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const invite = await api<Invite>('POST', '/api/v1/invites', {
        projects: grants.read(),
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      });
      note.value = '';
      onCreated(invite);
    },
  });
  return form;
}
