/// <reference lib="dom" />
import { h, newId, type Child } from './dom.js';
import { icon } from './icons.js';

export interface DialogOptions {
  title: string;
  description?: string;
  body?: Child;
  /** Buttons, left to right; the last one is usually the confirm. */
  actions: (close: () => void) => HTMLButtonElement[];
  /** The element to focus first; defaults to the first focusable one. */
  initialFocus?: () => HTMLElement | null;
  onClose?: () => void;
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog: the page behind it is inert, Tab and Shift+Tab cycle inside it,
 * Escape closes it, and focus goes back to where it was.
 */
export function openDialog(options: DialogOptions): {
  element: HTMLDialogElement;
  close: () => void;
} {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = newId('dialog-title');
  const descriptionId = newId('dialog-description');
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
    options.onClose?.();
    if (opener?.isConnected) opener.focus();
  };

  const dialog = h(
    'dialog',
    {
      class: 'dialog',
      attrs: {
        'aria-labelledby': titleId,
        'aria-describedby': options.description ? descriptionId : undefined,
      },
    },
    h(
      'div',
      { class: 'dialog-header' },
      h('h2', { class: 'dialog-title', attrs: { id: titleId } }, options.title),
      h(
        'button',
        {
          class: 'icon-button',
          attrs: { type: 'button', 'aria-label': 'Close' },
          on: { click: close },
        },
        icon('x'),
      ),
    ),
    options.description
      ? h('p', { class: 'dialog-description', attrs: { id: descriptionId } }, options.description)
      : null,
    options.body ? h('div', { class: 'dialog-body' }, options.body) : null,
    h('div', { class: 'dialog-actions' }, ...options.actions(close)),
  );

  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener('click', (event) => {
    // A click on the backdrop lands on the dialog element itself.
    if (event.target === dialog) close();
  });
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null || el === document.activeElement,
    );
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) return;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });

  document.body.appendChild(dialog);
  dialog.showModal();
  const target = options.initialFocus?.() ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
  target?.focus();
  return { element: dialog, close };
}
