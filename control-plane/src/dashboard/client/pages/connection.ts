/// <reference lib="dom" />
import type { Connection, Service } from '@berth/protocol';
import { h, replace } from '../dom.js';
import { icon } from '../icons.js';
import { maskUrlPassword, shownSecret } from '../secrets.js';
import type { ServiceModel } from '../service-model.js';
import { copyButton } from '../ui.js';
import type { TabView } from './service.js';

interface Fact {
  label: string;
  value: (c: Connection, revealed: boolean) => string | undefined;
  /** What the copy button copies: the real value, secret or not. */
  copy: (c: Connection) => string | undefined;
}

const FACTS: Fact[] = [
  { label: 'Host', value: (c) => c.host, copy: (c) => c.host },
  { label: 'Port', value: (c) => String(c.port), copy: (c) => String(c.port) },
  { label: 'User', value: (c) => c.user, copy: (c) => c.user },
  { label: 'Database', value: (c) => c.database, copy: (c) => c.database },
  {
    label: 'Password',
    value: (c, revealed) => shownSecret(c.password, revealed),
    copy: (c) => c.password,
  },
  {
    label: 'Internal URL',
    value: (c, revealed) => (revealed ? c.internalUrl : maskUrlPassword(c.internalUrl, c.password)),
    copy: (c) => c.internalUrl,
  },
  {
    label: 'Public URL',
    value: (c, revealed) =>
      c.publicUrl && (revealed ? c.publicUrl : maskUrlPassword(c.publicUrl, c.password)),
    copy: (c) => c.publicUrl,
  },
];

/** Facts that hold the password. */
const SECRET_FACTS: ReadonlySet<string> = new Set(['Password', 'Internal URL', 'Public URL']);

/**
 * A database's connection details, following the service live. The password, and the URLs
 * that hold it, stay masked until Reveal; copy buttons copy the real values.
 */
export function connectionCard(model: ServiceModel): TabView {
  let revealed = false;
  const list = h('dl', { class: 'facts connection-facts' });
  const reveal = h(
    'button',
    {
      class: 'btn btn-ghost btn-small',
      attrs: { type: 'button', 'aria-pressed': 'false' },
    },
    icon('eye'),
    h('span', { class: 'btn-label' }, 'Reveal'),
  );
  const connection = (): Connection | undefined => model.service?.connection;
  // The API sent `********` for the password: nothing to reveal or copy.
  const hidden = model.service?.secretsHidden === true;
  reveal.hidden = hidden;
  const render = () => {
    const current = connection();
    if (!current) return;
    replace(list);
    for (const fact of FACTS) {
      const value = fact.value(current, revealed);
      if (value === undefined) continue;
      const id = `connection-${fact.label.toLowerCase().replace(/ /g, '-')}`;
      list.append(
        h('dt', { attrs: { id } }, fact.label),
        h(
          'dd',
          { class: 'connection-value', attrs: { 'aria-labelledby': id } },
          h('code', { class: 'mono', data: { field: fact.label } }, value),
          hidden && SECRET_FACTS.has(fact.label)
            ? null
            : copyButton(() => fact.copy(connection()!) ?? '', fact.label.toLowerCase()),
        ),
      );
    }
  };
  reveal.addEventListener('click', () => {
    revealed = !revealed;
    reveal.setAttribute('aria-pressed', String(revealed));
    replace(
      reveal,
      icon(revealed ? 'eyeOff' : 'eye'),
      h('span', { class: 'btn-label' }, revealed ? 'Hide' : 'Reveal'),
    );
    render();
  });
  const element = h(
    'section',
    { class: 'card connection-card', attrs: { 'aria-label': 'Connection' } },
    h('div', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Connection'), reveal),
    list,
    h(
      'p',
      { class: 'hint' },
      'Apps in the same environment connect with the internal URL: the host is the service name. The public URL exists only while the database is exposed.',
    ),
  );
  render();
  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'service' || change.type === 'snapshot') render();
  });
  return { element, dispose: unsubscribe };
}

export function isDatabase(service: Service | null): boolean {
  return service?.source.type === 'database';
}
