/// <reference lib="dom" />
import { acceptInvite } from '../api.js';
import { h } from '../dom.js';
import { button, errorBox, field, input, onSubmit } from '../ui.js';
import { newPasswordFields } from './form-parts.js';
import { signInCard } from './sign-in.js';

/** As the server's rule: lowercase letters, digits, `.`, `_`, `-`, `@`. */
const NAME_PATTERN = '[a-z0-9][a-z0-9._@\\-]*';

/**
 * `#/invite/<token>`: the invited person picks a user name and password; the account is made
 * with the projects and roles the invite grants, and signed in.
 */
export function inviteView(token: string, onSignedIn: () => void): HTMLElement {
  const name = input({
    name: 'username',
    required: true,
    maxlength: 64,
    pattern: NAME_PATTERN,
    autocomplete: 'username',
    spellcheck: 'false',
  });
  const password = newPasswordFields({ password: 'Password', confirm: 'Confirm password' });
  const errors = errorBox();
  const submit = button('Create account', { kind: 'primary', submit: true, class: 'btn-block' });
  const form = h(
    'form',
    { class: 'stack', attrs: { 'aria-label': 'Create your account' } },
    field('User name', name, 'Lowercase letters, digits, ".", "_", "-" or "@".'),
    ...password.fields,
    errors.element,
    submit,
  );
  onSubmit(form, {
    submit,
    errors,
    run: async () => {
      await acceptInvite({ token, name: name.value.trim(), password: password.value() });
      // The invite link is spent: leave its token out of the address bar and history.
      history.replaceState(null, '', `${location.pathname}#/projects`);
      onSignedIn();
    },
  });
  setTimeout(() => name.focus(), 0);
  return signInCard(
    'Create your account',
    'You were invited to this Berth. Choose the name and password you will sign in with.',
    form,
  );
}
