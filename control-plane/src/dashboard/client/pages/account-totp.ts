/// <reference lib="dom" />
import type { User } from '@berth/protocol';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { toast } from '../toast.js';
import { badge, button, card, copyButton, errorBox, field, input, onSubmit } from '../ui.js';

const CODE_PATTERN = '\\d{6}';

function codeInput(): HTMLInputElement {
  return input({
    name: 'code',
    required: true,
    pattern: CODE_PATTERN,
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    maxlength: 6,
  });
}

/**
 * Two-factor sign-in with an authenticator app (TOTP): set up with the secret or the otpauth
 * link, confirmed with a first code, which answers ten recovery codes shown once.
 */
export function twoFactorCard(user: User, reload: () => void): HTMLElement {
  const body = h('div', { class: 'stack' });
  const element = card(
    h(
      'div',
      { class: 'card-header' },
      h('h2', { class: 'card-title' }, 'Two-factor sign-in'),
      user.totpEnabled ? badge('succeeded', 'on') : badge('unknown', 'off'),
    ),
    body,
  );
  element.setAttribute('aria-label', 'Two-factor sign-in');
  if (user.totpEnabled) replace(body, turnOffForm(reload));
  else if (!user.hasPassword) {
    replace(body, h('p', { class: 'muted' }, 'Set a password first: the code is asked after it.'));
  } else {
    const start = button('Set up two-factor', { kind: 'primary' });
    start.addEventListener('click', () => {
      start.disabled = true;
      api<{ secret: string; otpauthUrl: string }>('POST', '/api/v1/users/me/totp').then(
        (setup) => replace(body, confirmForm(setup, body, reload)),
        (err: unknown) => {
          start.disabled = false;
          toast('Could not start two-factor', {
            kind: 'error',
            detail: err instanceof Error ? err.message : String(err),
          });
        },
      );
    });
    replace(
      body,
      h(
        'p',
        { class: 'muted' },
        'After your password, sign-in asks for a code from an authenticator app.',
      ),
      h('div', { class: 'row-actions' }, start),
    );
  }
  return element;
}

function secretLine(label: string, value: string): HTMLElement {
  return h(
    'div',
    { class: 'field' },
    h('span', { class: 'hint' }, label),
    h(
      'div',
      { class: 'connection-value' },
      h('code', { class: 'mono totp-secret', data: { field: label } }, value),
      copyButton(value, label.toLowerCase()),
    ),
  );
}

function confirmForm(
  setup: { secret: string; otpauthUrl: string },
  body: HTMLElement,
  reload: () => void,
): HTMLElement {
  const code = codeInput();
  const errors = errorBox();
  const submit = button('Turn on', { kind: 'primary', submit: true });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Confirm two-factor' } },
    h(
      'p',
      {},
      'Add this account to your authenticator app with the secret key or the otpauth link, then enter the code it shows.',
    ),
    secretLine('Secret key', setup.secret),
    secretLine('otpauth link', setup.otpauthUrl),
    field('Code from the app', code),
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      const answer = await api<{ user: User; recoveryCodes: string[] }>(
        'POST',
        '/api/v1/users/me/totp/confirm',
        { code: code.value.trim() },
      );
      replace(body, recoveryCodes(answer.recoveryCodes, reload));
    },
  });
  setTimeout(() => code.focus(), 0);
  return form;
}

function recoveryCodes(codes: string[], reload: () => void): HTMLElement {
  return h(
    'div',
    { class: 'stack', attrs: { 'aria-label': 'Recovery codes' } },
    h(
      'p',
      { class: 'shown-once-warning' },
      'Two-factor is on. Store these recovery codes somewhere safe now: each signs in once without the app, and they are not shown again.',
    ),
    h(
      'div',
      { class: 'connection-value' },
      h('ul', { class: 'recovery-codes mono' }, ...codes.map((c) => h('li', {}, c))),
      copyButton(codes.join('\n'), 'recovery codes'),
    ),
    h('div', { class: 'row-actions' }, button('I have stored them', { onClick: reload })),
  );
}

function turnOffForm(reload: () => void): HTMLElement {
  const code = codeInput();
  const errors = errorBox();
  const submit = button('Turn off', { kind: 'danger', submit: true });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Turn off two-factor' } },
    h('p', { class: 'muted' }, 'Sign-in asks for a code from your authenticator app.'),
    field('Code from the app', code, 'Needed to turn two-factor off.'),
    errors.element,
    h('div', { class: 'form-actions' }, submit),
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      await api('DELETE', '/api/v1/users/me/totp', { code: code.value.trim() });
      toast('Two-factor is off');
      reload();
    },
  });
  return form;
}
