/// <reference lib="dom" />
import type { JoinTokenResponse, Server, ServerStatus } from '@berth/protocol';
import { isOwner } from '../access.js';
import { api, apiWithHeaders } from '../api.js';
import { openDialog } from '../dialog.js';
import { h, replace } from '../dom.js';
import { absoluteTime, relativeTime } from '../format.js';
import { badge, busy, button, copyButton, emptyState, pageHeader, toastError } from '../ui.js';
import { setTitle, type Page, type PageContext } from './page.js';

/** Servers report through heartbeats, not the change stream; refresh the table this often, in ms. */
const REFRESH_MS = 5_000;
/** Servers per page: a large fleet is never drawn at once. */
const PAGE_SIZE = 50;
const FILTERS: { label: string; status: ServerStatus | null }[] = [
  { label: 'All', status: null },
  { label: 'Online', status: 'online' },
  { label: 'Reconnecting', status: 'reconnecting' },
  { label: 'Offline', status: 'offline' },
];

export function serversPage(ctx: PageContext): Page {
  setTitle('Servers');
  const table = h('div', { class: 'stack' }, h('p', { class: 'loading' }, 'Loading…'));
  const add = button('Add server', {
    kind: 'primary',
    icon: 'plus',
    onClick: () => void busy(add, () => addServer()),
  });
  // Pages are reached by cursor: `cursors[i]` starts page i (undefined for the first).
  let status: ServerStatus | null = null;
  let cursors: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let nextCursor: string | null = null;
  const filter = h(
    'select',
    { class: 'input', attrs: { name: 'status', 'aria-label': 'Show servers' } },
    ...FILTERS.map((f) => h('option', { attrs: { value: f.status ?? '' } }, f.label)),
  );
  filter.addEventListener('change', () => {
    status = (filter.value || null) as ServerStatus | null;
    cursors = [undefined];
    pageIndex = 0;
    void refresh();
  });
  const previous = button('Previous', {
    onClick: () => {
      pageIndex = Math.max(0, pageIndex - 1);
      void refresh();
    },
  });
  const next = button('Next', {
    onClick: () => {
      if (nextCursor === null) return;
      cursors[pageIndex + 1] = nextCursor;
      pageIndex += 1;
      void refresh();
    },
  });
  const position = h('span', { class: 'hint' });
  const pager = h('div', { class: 'toolbar' }, filter, previous, next, position);
  const element = h(
    'div',
    { class: 'page' },
    pageHeader({
      title: 'Servers',
      description: 'Worker nodes running the Berth agent. Environments deploy onto them.',
      // Join tokens are the owner's.
      actions: isOwner() ? [add] : [],
    }),
    pager,
    table,
  );
  const refresh = async () => {
    try {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (status) query.set('status', status);
      const cursor = cursors[pageIndex];
      if (cursor) query.set('cursor', cursor);
      const answer = await apiWithHeaders<Server[]>('GET', `/api/v1/servers?${query.toString()}`);
      if (ctx.signal.aborted) return;
      nextCursor = answer.headers.get('x-next-cursor');
      previous.disabled = pageIndex === 0;
      next.disabled = nextCursor === null;
      position.textContent =
        answer.body.length === 0
          ? ''
          : `Page ${pageIndex + 1}: servers ${pageIndex * PAGE_SIZE + 1}–${pageIndex * PAGE_SIZE + answer.body.length}`;
      replace(table, serversTable(answer.body, status));
    } catch (err) {
      if (!ctx.signal.aborted)
        replace(
          table,
          h('p', { class: 'load-error', attrs: { role: 'alert' } }, String((err as Error).message)),
        );
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  ctx.signal.addEventListener('abort', () => clearInterval(timer));
  return { element };
}

function serversTable(servers: Server[], status: ServerStatus | null): HTMLElement {
  if (servers.length === 0 && status !== null) {
    return emptyState(`No ${status} servers`, 'Choose another filter to see the others.');
  }
  if (servers.length === 0) {
    return emptyState(
      'No servers yet',
      'Press Add server and run the install command on the machine that should run your services.',
    );
  }
  const heading = (label: string) => h('th', { attrs: { scope: 'col' } }, label);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          heading('Name'),
          heading('Status'),
          heading('Last seen'),
          heading('Agent'),
          heading('Docker'),
          heading('Proxy'),
        ),
      ),
      h(
        'tbody',
        {},
        ...servers.map((server) =>
          h(
            'tr',
            { data: { serverId: server.id } },
            h('td', { class: 'strong', data: { label: 'Name' } }, server.name),
            h('td', { data: { label: 'Status' } }, badge(server.status)),
            h(
              'td',
              { data: { label: 'Last seen' } },
              server.lastSeenAt
                ? h(
                    'time',
                    {
                      attrs: {
                        datetime: server.lastSeenAt,
                        title: absoluteTime(server.lastSeenAt),
                      },
                    },
                    relativeTime(server.lastSeenAt),
                  )
                : 'never',
            ),
            h(
              'td',
              { class: 'mono', data: { label: 'Agent' } },
              server.agentVersion ?? '—',
              server.outdated
                ? h(
                    'span',
                    {
                      class: 'warn',
                      attrs: {
                        title:
                          'Older than this control plane’s agent; run the install line again to upgrade',
                      },
                    },
                    ' (update available)',
                  )
                : null,
            ),
            h(
              'td',
              { class: 'mono', data: { label: 'Docker' } },
              server.docker ? server.docker.version : h('span', { class: 'warn' }, 'unreachable'),
            ),
            h('td', { data: { label: 'Proxy' } }, proxyCell(server.proxy)),
          ),
        ),
      ),
    ),
  );
}

async function addServer(): Promise<void> {
  let answer: JoinTokenResponse;
  try {
    answer = await api<JoinTokenResponse>('POST', '/api/v1/join-tokens', {});
  } catch (err) {
    toastError(err, 'Could not create a join token');
    return;
  }
  const command = h('code', { class: 'command-text' }, answer.installCommand);
  openDialog({
    title: 'Add server',
    description:
      'Run this command as root on the new server. It installs the agent, which joins with a one-time token and then appears in the list.',
    body: h(
      'div',
      { class: 'stack' },
      h('div', { class: 'command' }, command, copyButton(answer.installCommand, 'install command')),
      h(
        'p',
        { class: 'hint' },
        'The token works once and expires ',
        h('time', { attrs: { datetime: answer.expiresAt } }, absoluteTime(answer.expiresAt)),
        '. It is shown only now.',
      ),
    ),
    actions: (close) => [button('Done', { kind: 'primary', onClick: close })],
  });
}

/** The server's proxy: its state, how often the agent had to bring it back, and why it failed. */
function proxyCell(proxy: Server['proxy']): Node | string {
  if (!proxy) return '—';
  const restarts = proxy.restarts > 0 ? `, restarted ${proxy.restarts}×` : '';
  return h(
    'span',
    {
      ...(proxy.state === 'failed' ? { class: 'warn' } : {}),
      ...(proxy.error ? { attrs: { title: proxy.error } } : {}),
    },
    `${proxy.state}${restarts}`,
  );
}
