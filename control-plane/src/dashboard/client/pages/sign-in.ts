/// <reference lib="dom" />
import { signIn } from '../api.js';
import { h } from '../dom.js';
import { onSubmit, button, errorBox, field, input } from '../ui.js';
import { setTitle } from './page.js';

/** The card around the sign-in and invite forms: the brand, a title and a line of text. */
export function signInCard(title: string, description: string, form: HTMLElement): HTMLElement {
  setTitle(title);
  return h(
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
      h('h1', { class: 'sign-in-title' }, title),
      h('p', { class: 'page-description' }, description),
      form,
    ),
  );
}

/**
 * The sign-in form: a user name and password, then a two-factor code when the account has it
 * on. The admin token (the owner's break-glass credential) is one toggle away.
 */
export function signInView(onSignedIn: () => void): HTMLElement {
  const name = input({ name: 'username', required: true, autocomplete: 'username' });
  const password = input({
    type: 'password',
    name: 'password',
    required: true,
    autocomplete: 'current-password',
  });
  const code = input({
    name: 'code',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    spellcheck: 'false',
    maxlength: 32,
  });
  const token = input({
    type: 'password',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const withPassword = h(
    'div',
    { class: 'stack' },
    field('User name', name),
    field('Password', password),
  );
  const codeStep = h(
    'div',
    { class: 'stack', attrs: { hidden: true } },
    field(
      'Two-factor code',
      code,
      'The 6-digit code from your authenticator app, or a recovery code.',
    ),
  );
  const withToken = h(
    'div',
    { class: 'stack', attrs: { hidden: true } },
    field(
      'Admin token',
      token,
      'Set by BERTH_ADMIN_TOKEN, or printed at first start and kept in $BERTH_DATA_DIR/admin-token.',
    ),
  );
  const errors = errorBox();
  const submit = button('Sign in', { kind: 'primary', submit: true, class: 'btn-block' });
  let useToken = false;
  const toggle = button('Use the admin token instead', {
    kind: 'ghost',
    class: 'btn-block',
    onClick: () => {
      useToken = !useToken;
      withPassword.hidden = useToken;
      codeStep.hidden = true;
      code.value = '';
      withToken.hidden = !useToken;
      // A hidden required field would block the form.
      name.required = !useToken;
      password.required = !useToken;
      token.required = useToken;
      toggle.querySelector('.btn-label')!.textContent = useToken
        ? 'Use a user name and password instead'
        : 'Use the admin token instead';
      errors.clear();
      (useToken ? token : name).focus();
    },
  });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Sign in' } },
    withPassword,
    codeStep,
    withToken,
    errors.element,
    submit,
    toggle,
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const body = useToken
        ? { token: token.value.trim() }
        : {
            name: name.value.trim().toLowerCase(),
            password: password.value,
            ...(codeStep.hidden ? {} : { code: code.value.trim() }),
          };
      const result = await signIn(body);
      if (result.signedIn) {
        onSignedIn();
        return;
      }
      codeStep.hidden = false;
      code.focus();
    },
    onError: () => {
      if (!useToken && !codeStep.hidden) code.select();
      else (useToken ? token : password).select();
    },
  });
  setTimeout(() => name.focus(), 0);
  return signInCard('Sign in', 'Deploy and run services on your own servers.', form);
}
