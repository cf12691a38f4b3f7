/// <reference lib="dom" />
// Small form pieces shared by the service forms.
import { h, newId } from '../dom.js';

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
