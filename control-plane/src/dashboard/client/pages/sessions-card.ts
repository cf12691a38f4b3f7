/// <reference lib="dom" />
import { api } from '../api.js';
import { h } from '../dom.js';
import { button, card, toastError } from '../ui.js';

/**
 * "Sign out everywhere": ends every dashboard session, this browser's included, for a lost
 * laptop or a shared screen. Sessions otherwise last 12 hours idle and 7 days at most, and a
 * restart of the control plane keeps them.
 */
export function sessionsCard(): HTMLElement {
  const signOutEverywhere = button('Sign out everywhere', {
    kind: 'danger',
    onClick: () => {
      signOutEverywhere.disabled = true;
      api('DELETE', '/api/v1/sessions')
        .then(() => window.location.reload())
        .catch((err: unknown) => {
          signOutEverywhere.disabled = false;
          toastError(err);
        });
    },
  });
  return card(
    h('h2', { class: 'card-title' }, 'Sessions'),
    h(
      'p',
      { class: 'muted' },
      'A sign-in lasts 12 hours without use and 7 days at most, and survives restarts of the control plane. Sign out everywhere ends every session at once, this one included; the admin token still signs in.',
    ),
    h('div', { class: 'row-actions' }, signOutEverywhere),
  );
}
