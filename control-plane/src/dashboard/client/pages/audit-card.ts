/// <reference lib="dom" />
import type { AuditEntry } from '@berth/protocol';
import { api, ApiError } from '../api.js';
import {
  actorKind,
  auditQueryPath,
  nextAuditCursor,
  outcomeText,
  targetText,
  type AuditViewFilters,
} from '../audit-format.js';
import { append, h, replace } from '../dom.js';
import { absoluteTime, relativeTime } from '../format.js';
import { badge, busy, button, card, emptyState, field, input, toastError } from '../ui.js';
import { loadInto, type PageContext } from './page.js';

/**
 * The audit log on the Settings page: who changed what, when, from where, and how it ended,
 * newest first, a page at a time. A user without the right to read it (a 403) sees no card.
 */
export function auditCard(ctx: PageContext): HTMLElement {
  const filters: AuditViewFilters = { action: '', actor: '' };
  let cursor: number | null = null;
  // A page answered for an earlier filter is dropped.
  let generation = 0;

  const actionInput = input({
    name: 'action',
    maxlength: 128,
    autocomplete: 'off',
    placeholder: 'service.*',
  });
  const actorInput = input({
    name: 'actor',
    maxlength: 128,
    autocomplete: 'off',
    placeholder: 'usr_…',
  });
  const apply = button('Filter', { submit: true, attrs: { 'data-testid': 'audit-filter' } });
  const form = h(
    'form',
    { class: 'inline-form', attrs: { 'aria-label': 'Audit log filters' } },
    field('Action', actionInput, 'An action, or a prefix such as service.* or session.*'),
    field('Actor id', actorInput, 'A user or token id'),
    apply,
  );
  const rows = h('tbody');
  const list = h('div', { class: 'stack' });
  const more = button('Load more', { attrs: { 'data-testid': 'audit-load-more', hidden: true } });
  const element = card(
    h('h2', { class: 'card-title' }, 'Audit log'),
    h(
      'p',
      { class: 'muted' },
      'Every change, sign-in and refusal, with who made it, from which address and how it ended. The log is append-only and cannot be edited here.',
    ),
    form,
    list,
    h('div', { class: 'row-actions' }, more),
  );
  element.dataset.testid = 'audit-card';

  const fetchPage = (before?: number) =>
    api<AuditEntry[]>('GET', auditQueryPath(filters, before === undefined ? {} : { before }));

  const firstPage = async (): Promise<Node> => {
    const mine = ++generation;
    more.hidden = true;
    let page: AuditEntry[];
    try {
      page = await fetchPage();
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        element.hidden = true;
        return h('div');
      }
      throw err;
    }
    // A newer filter is loading: leave what it shows.
    if (mine !== generation) return list.firstChild ?? h('div');
    replace(rows, ...page.map(auditRow));
    cursor = nextAuditCursor(page);
    more.hidden = cursor === null;
    if (page.length > 0) return auditTable(rows);
    const filtered = filters.action.trim() !== '' || filters.actor.trim() !== '';
    const empty = emptyState(
      filtered ? 'No entries match' : 'No entries yet',
      filtered
        ? 'Clear or change the filters to see others.'
        : 'Changes show here once they are made.',
    );
    empty.dataset.testid = 'audit-empty';
    return empty;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.action = actionInput.value;
    filters.actor = actorInput.value;
    loadInto(list, firstPage, ctx.signal);
  });
  more.addEventListener('click', () => {
    if (cursor === null) return;
    const mine = generation;
    void busy(more, async () => {
      try {
        const page = await fetchPage(cursor ?? undefined);
        if (ctx.signal.aborted || mine !== generation) return;
        append(rows, ...page.map(auditRow));
        cursor = nextAuditCursor(page);
        more.hidden = cursor === null;
      } catch (err) {
        toastError(err, 'Could not load more of the audit log');
      }
    });
  });
  loadInto(list, firstPage, ctx.signal);
  return element;
}

function auditTable(rows: HTMLTableSectionElement): HTMLElement {
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table audit-table', attrs: { 'aria-label': 'Audit log' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          heading('Time'),
          heading('Actor'),
          heading('Action'),
          heading('Target'),
          heading('IP'),
          heading('Outcome'),
        ),
      ),
      rows,
    ),
  );
}

function auditRow(entry: AuditEntry): HTMLTableRowElement {
  return h(
    'tr',
    { data: { testid: 'audit-row', seq: String(entry.seq) } },
    h(
      'td',
      { data: { label: 'Time' } },
      h(
        'time',
        { attrs: { datetime: entry.at, title: absoluteTime(entry.at) } },
        relativeTime(entry.at),
      ),
    ),
    h(
      'td',
      { data: { label: 'Actor' }, attrs: { title: entry.actor.id } },
      h('span', { class: 'strong' }, entry.actor.name),
      h('span', { class: 'muted audit-actor-kind' }, actorKind(entry.actor)),
    ),
    h(
      'td',
      { data: { label: 'Action' } },
      h('span', { class: 'mono' }, entry.action),
      entry.detail ? h('span', { class: 'muted audit-detail' }, entry.detail) : null,
    ),
    h('td', { class: 'mono', data: { label: 'Target' } }, targetText(entry.target)),
    h('td', { class: 'mono', data: { label: 'IP' } }, entry.ip ?? '—'),
    h('td', { data: { label: 'Outcome' } }, badge(entry.outcome, outcomeText(entry))),
  );
}
