/// <reference lib="dom" />
// Small form pieces shared by the service forms.
import { h, newId } from '../dom.js';
import { copyButton, field, input } from '../ui.js';

/** A titled group of controls with a one-line explanation. */
export function fieldset(legend: string, hint: string, ...children: Node[]): HTMLFieldSetElement {
  return h(
    'fieldset',
    { class: 'fieldset' },
    h('legend', {}, legend),
    h('p', { class: 'hint' }, hint),
    ...children,
  );
}

/** One choice of a radio group, labelled and clickable as a whole. */
export function radio(name: string, value: string, label: string, checked: boolean): HTMLElement {
  const id = newId(name);
  return h(
    'label',
    { class: 'choice', attrs: { for: id } },
    h('input', { attrs: { type: 'radio', name, value, id, checked } }),
    h('span', {}, label),
  );
}

/** The number typed, or NaN when empty, so the API names the field instead of guessing 0. */
export function numberValue(control: HTMLInputElement): number {
  return control.value.trim() === '' ? Number.NaN : Number(control.value);
}

/** One checkbox of a group, styled as a choice. */
export function checkChoice(name: string, value: string, label: string, checked: boolean) {
  const id = newId(name);
  const control = h('input', { attrs: { type: 'checkbox', name, value, id, checked } });
  const element = h(
    'label',
    { class: 'choice', attrs: { for: id } },
    control,
    h('span', {}, label),
  );
  return { control, element };
}

/**
 * A secret the API answers once (a new token, an invite link): shown as text with a copy
 * button and a warning that it cannot be shown again.
 */
export function shownOnce(label: string, value: string, warning: string): HTMLElement {
  return h(
    'div',
    { class: 'shown-once', attrs: { role: 'status', 'aria-label': label } },
    h('p', { class: 'shown-once-warning' }, warning),
    h(
      'div',
      { class: 'connection-value' },
      h('code', { class: 'mono shown-once-value' }, value),
      copyButton(value, label.toLowerCase()),
    ),
  );
}

/** As the server's minimum (`MIN_PASSWORD_LENGTH` in the protocol, kept out of the bundle with zod). */
const MIN_PASSWORD_LENGTH = 12;

/**
 * A new password and its confirmation, for the invite and Account pages. `value()` answers the
 * password, or throws for the form's error box when the two differ.
 */
export function newPasswordFields(labels: { password: string; confirm: string }): {
  fields: HTMLElement[];
  value(): string;
} {
  const password = input({
    type: 'password',
    name: 'password',
    required: true,
    minlength: MIN_PASSWORD_LENGTH,
    autocomplete: 'new-password',
  });
  const confirm = input({
    type: 'password',
    name: 'confirm',
    required: true,
    autocomplete: 'new-password',
  });
  return {
    fields: [
      field(labels.password, password, `At least ${MIN_PASSWORD_LENGTH} characters.`),
      field(labels.confirm, confirm),
    ],
    value() {
      if (password.value !== confirm.value) throw new Error('The two passwords differ.');
      return password.value;
    },
  };
}
