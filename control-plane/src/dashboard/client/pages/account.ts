/// <reference lib="dom" />
import type { Project, User } from '@berth/protocol';
import { grantsSummary, setCurrentUser } from '../access.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { toast } from '../toast.js';
import { button, card, errorBox, field, input, onSubmit, pageHeader } from '../ui.js';
import { tokensCard } from './account-tokens.js';
import { twoFactorCard } from './account-totp.js';
import { newPasswordFields } from './form-parts.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

/** The signed-in user's own account: password, two-factor and personal API tokens. */
export function accountPage(ctx: PageContext): Page {
  setTitle('Account');
  const element = h('div', { class: 'page' });
  const load = async (): Promise<Node> => {
    const [user, projects] = await Promise.all([
      api<User>('GET', '/api/v1/users/me'),
      api<Project[]>('GET', '/api/v1/projects'),
    ]);
    setCurrentUser(user);
    const names = new Map(projects.map((p) => [p.id, p.name]));
    const reload = () => loadInto(element, load, ctx.signal);
    return h(
      'div',
      { class: 'stack' },
      pageHeader({
        title: 'Account',
        description:
          user.role === 'owner'
            ? `Signed in as ${user.name}, the owner: admin in every project.`
            : `Signed in as ${user.name}. Projects: ${grantsSummary(user.projects, names)}.`,
      }),
      passwordCard(user, reload),
      twoFactorCard(user, reload),
      tokensCard(projects),
    );
  };
  loadInto(element, load, ctx.signal);
  return { element };
}

function passwordCard(user: User, reload: () => void): HTMLElement {
  const current = input({
    type: 'password',
    name: 'current',
    required: true,
    autocomplete: 'current-password',
  });
  const password = newPasswordFields({ password: 'New password', confirm: 'Confirm new password' });
  const errors = errorBox();
  const submit = button(user.hasPassword ? 'Change password' : 'Set password', {
    kind: 'primary',
    submit: true,
  });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Password' } },
    user.hasPassword ? field('Current password', current) : null,
    ...password.fields,
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      await api('PUT', '/api/v1/users/me/password', {
        ...(user.hasPassword ? { current: current.value } : {}),
        password: password.value(),
      });
      form.reset();
      toast('Password saved', { kind: 'success', detail: `Sign in as ${user.name} with it.` });
      reload();
    },
  });
  return card(
    h('h2', { class: 'card-title' }, 'Password'),
    user.hasPassword
      ? null
      : h(
          'p',
          { class: 'muted' },
          'No password yet: you sign in with the admin token. Set one to sign in with your name.',
        ),
    form,
  );
}
