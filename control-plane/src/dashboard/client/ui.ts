/// <reference lib="dom" />
import { ApiError } from './api.js';
import { h, newId, replace, type Child } from './dom.js';
import { icon, type IconName } from './icons.js';
import { toast } from './toast.js';

export function button(
  label: Child,
  options: {
    kind?: 'primary' | 'secondary' | 'danger' | 'ghost';
    onClick?: (event: MouseEvent) => void;
    icon?: IconName;
    attrs?: Record<string, string | boolean | undefined>;
    class?: string;
    submit?: boolean;
  } = {},
): HTMLButtonElement {
  return h(
    'button',
    {
      class: `btn btn-${options.kind ?? 'secondary'}${options.class ? ` ${options.class}` : ''}`,
      attrs: { type: options.submit ? 'submit' : 'button', ...options.attrs },
      on: options.onClick ? { click: options.onClick } : {},
    },
    options.icon ? icon(options.icon) : null,
    h('span', { class: 'btn-label' }, label),
  );
}

/** Runs an async click handler with the button disabled, so a double click queues once. */
export async function busy<T>(target: HTMLButtonElement, run: () => Promise<T>): Promise<T> {
  target.disabled = true;
  target.setAttribute('aria-busy', 'true');
  try {
    return await run();
  } finally {
    target.disabled = false;
    target.removeAttribute('aria-busy');
  }
}

/** A status word in a coloured pill; `data-status` carries the raw value. */
export function badge(status: string, label = status): HTMLSpanElement {
  return h(
    'span',
    { class: `badge badge-${status}`, data: { status } },
    h('span', { class: 'badge-dot', attrs: { 'aria-hidden': 'true' } }),
    label,
  );
}

export function setBadge(element: HTMLElement, status: string, label = status): void {
  element.className = `badge badge-${status}`;
  element.dataset.status = status;
  replace(element, h('span', { class: 'badge-dot', attrs: { 'aria-hidden': 'true' } }), label);
}

export async function copyText(value: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(value);
      return true;
    }
  } catch {
    // fall back below
  }
  // Plain http on a LAN address has no Clipboard API; a selected textarea still copies.
  const area = h('textarea', { class: 'visually-hidden', attrs: { readonly: true } });
  area.value = value;
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

/**
 * A small button that copies `value`, then shows a tick for a moment. A secret is passed as a
 * function: it is read at the click and never written into the page.
 */
export function copyButton(value: string | (() => string), what: string): HTMLButtonElement {
  const target = h(
    'button',
    {
      class: 'icon-button copy-button',
      attrs: { type: 'button', 'aria-label': `Copy ${what}`, title: `Copy ${what}` },
      data: typeof value === 'string' ? { copy: value } : {},
    },
    icon('copy', 14),
  );
  target.addEventListener('click', () => {
    const text = typeof value === 'string' ? (target.dataset.copy ?? '') : value();
    void copyText(text).then((copied) => {
      if (!copied) {
        toast('Could not copy', { kind: 'error', detail: 'Select the text and copy it by hand.' });
        return;
      }
      replace(target, icon('check', 14));
      target.classList.add('copied');
      setTimeout(() => {
        replace(target, icon('copy', 14));
        target.classList.remove('copied');
      }, 1_500);
    });
  });
  return target;
}

export interface Crumb {
  label: string;
  href?: string;
}

export function breadcrumb(items: Crumb[]): HTMLElement {
  const list = h('ol', { class: 'breadcrumb' });
  items.forEach((item, index) => {
    const last = index === items.length - 1;
    list.appendChild(
      h(
        'li',
        {},
        item.href && !last
          ? h('a', { attrs: { href: item.href } }, item.label)
          : h('span', { attrs: { 'aria-current': last ? 'page' : undefined } }, item.label),
        last ? null : icon('chevron', 14),
      ),
    );
  });
  return h('nav', { class: 'breadcrumb-nav', attrs: { 'aria-label': 'Breadcrumb' } }, list);
}

export function pageHeader(options: {
  title: Child;
  description?: string;
  actions?: Child[];
  level?: 'h1' | 'h2';
}): HTMLElement {
  return h(
    'div',
    { class: 'page-header' },
    h(
      'div',
      { class: 'page-heading' },
      h(options.level ?? 'h1', { class: 'page-title' }, options.title),
      options.description ? h('p', { class: 'page-description' }, options.description) : null,
    ),
    options.actions ? h('div', { class: 'page-actions' }, ...options.actions) : null,
  );
}

export function emptyState(title: string, detail: Child, action?: Child): HTMLElement {
  return h(
    'div',
    { class: 'empty' },
    h('p', { class: 'empty-title' }, title),
    h('p', { class: 'empty-detail' }, detail),
    action ?? null,
  );
}

export function card(...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, ...children);
}

/** A labelled control with an optional hint; the label is wired to the control by id. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  const id = control.id || newId('field');
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { attrs: { for: id } }, label),
    control,
    hint ? h('p', { class: 'hint', attrs: { id: hintId } }, hint) : null,
  );
}

export function input(
  attrs: Record<string, string | number | boolean | undefined> = {},
): HTMLInputElement {
  return h('input', { class: 'input', attrs: { type: 'text', ...attrs } });
}

/** A box that lists what the API refused, naming each field. */
export function errorBox(): {
  element: HTMLElement;
  show: (err: unknown) => void;
  clear: () => void;
} {
  const element = h('div', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  return {
    element,
    show(err) {
      const message = err instanceof Error ? err.message : String(err);
      const fields = err instanceof ApiError ? err.fields : [];
      replace(
        element,
        h('strong', {}, fields.length > 0 ? 'Please fix these fields:' : message),
        fields.length > 0
          ? h('ul', {}, ...fields.map((f) => h('li', {}, h('code', {}, f.path), ' ', f.message)))
          : null,
      );
      element.hidden = false;
    },
    clear() {
      replace(element);
      element.hidden = true;
    },
  };
}

/**
 * Wires a form: on submit the button shows it is busy, the error box is cleared,
 * and what `run` throws is shown there (then `onError`, e.g. to refocus a field).
 */
export function onSubmit(
  form: HTMLFormElement,
  options: {
    submit: HTMLButtonElement;
    errors: ReturnType<typeof errorBox>;
    run: () => Promise<void>;
    onError?: () => void;
  },
): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    options.errors.clear();
    void busy(options.submit, async () => {
      try {
        await options.run();
      } catch (err) {
        options.errors.show(err);
        options.onError?.();
      }
    });
  });
}

/** Shows an API failure as a toast. */
export function toastError(err: unknown, title = 'That did not work'): void {
  const message = err instanceof Error ? err.message : String(err);
  toast(title, { kind: 'error', detail: message });
}
