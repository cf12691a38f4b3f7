/// <reference lib="dom" />
import type { CacheMode, Service } from '@berth/protocol';
import { openDialog } from '../dialog.js';
import { h, newId } from '../dom.js';
import { busy, button, toastError } from '../ui.js';
import { unexposeDatabase } from './database-actions.js';

/**
 * Redeploy's question: rebuild without cache, or reuse what the node has.
 * `confirm` queues the deployment; the dialog stays open if that fails.
 */
export function openRedeployDialog(confirm: (cache: CacheMode) => Promise<void>): void {
  const group = newId('cache');
  const option = (value: CacheMode, title: string, detail: string, checked: boolean) => {
    const id = `${group}-${value}`;
    return h(
      'label',
      { class: 'option', attrs: { for: id } },
      h('input', { attrs: { type: 'radio', name: group, value, id, checked } }),
      h(
        'span',
        { class: 'option-text' },
        h('span', { class: 'option-title' }, title),
        h('span', { class: 'option-detail' }, detail),
      ),
    );
  };
  const options = h(
    'div',
    { class: 'options', attrs: { role: 'radiogroup', 'aria-label': 'Cache' } },
    option('none', 'Without cache', 'Rebuild every layer, or pull a fresh image.', false),
    option(
      'use-existing',
      'Use existing cache',
      'Reuse the existing image and layers. Faster.',
      true,
    ),
  );
  const selected = (): CacheMode =>
    options.querySelector<HTMLInputElement>('input:checked')?.value === 'none'
      ? 'none'
      : 'use-existing';
  openDialog({
    title: 'Redeployment',
    description: 'Deploy the service again, as it is configured now.',
    body: options,
    initialFocus: () => options.querySelector<HTMLInputElement>('input:checked'),
    actions: (close) => {
      const go = button('Redeploy', { kind: 'primary', icon: 'rocket' });
      go.addEventListener('click', () => {
        void busy(go, async () => {
          try {
            await confirm(selected());
            close();
          } catch (err) {
            toastError(err, 'Could not redeploy');
          }
        });
      });
      return [button('Cancel', { kind: 'ghost', onClick: close }), go];
    },
  });
}

/**
 * Stop's answer for a database that is exposed publicly: unexpose it first. Unexpose
 * queues that job here; Stop works once it has run.
 */
export function openUnexposeDialog(service: Service, reason: string): void {
  openDialog({
    title: 'Unexpose the database first',
    description: reason,
    body: h(
      'p',
      {},
      `${service.name} is reachable from outside its server. Unexpose it, then press Stop again once the unexpose job has finished.`,
    ),
    actions: (close) => {
      const go = button('Unexpose', { kind: 'primary' });
      go.addEventListener('click', () => {
        void busy(go, async () => {
          try {
            await unexposeDatabase(service);
            close();
          } catch (err) {
            toastError(err, 'Could not unexpose');
          }
        });
      });
      return [button('Cancel', { kind: 'ghost', onClick: close }), go];
    },
  });
}
