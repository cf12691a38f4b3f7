/// <reference lib="dom" />
import { signIn } from '../api.js';
import { h } from '../dom.js';
import { onSubmit, button, errorBox, field, input } from '../ui.js';
import { setTitle } from './page.js';

/** The sign-in form: the admin token starts a browser session. */
export function signInView(onSignedIn: () => void): HTMLElement {
  setTitle('Sign in');
  const token = input({
    type: 'password',
    name: 'token',
    required: true,
    autocomplete: 'current-password',
    spellcheck: 'false',
  });
  const errors = errorBox();
  const submit = button('Sign in', { kind: 'primary', submit: true, class: 'btn-block' });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Sign in' } },
    field(
      'Admin token',
      token,
      'Set by BERTH_ADMIN_TOKEN, or printed at first start and kept in $BERTH_DATA_DIR/admin-token.',
    ),
    errors.element,
    submit,
  );
  onSubmit(form, {
    submit: submit,
    errors,
    run: async () => {
      await signIn(token.value.trim());
      onSignedIn();
    },
    onError: () => {
      token.select();
    },
  });
  const view = h(
    'main',
    { class: 'sign-in' },
    h(
      'div',
      { class: 'sign-in-card' },
      h(
        'div',
        { class: 'brand brand-large' },
        h('span', { class: 'brand-mark', attrs: { 'aria-hidden': 'true' } }),
        'Berth',
      ),
      h('h1', { class: 'sign-in-title' }, 'Sign in'),
      h('p', { class: 'page-description' }, 'Deploy and run services on your own servers.'),
      form,
    ),
  );
  setTimeout(() => token.focus(), 0);
  return view;
}
