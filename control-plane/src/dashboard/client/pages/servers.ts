/// <reference lib="dom" />
import type { JoinTokenResponse, Server } from '@berth/protocol';
import { api } from '../api.js';
import { openDialog } from '../dialog.js';
import { h, replace } from '../dom.js';
import { absoluteTime, relativeTime } from '../format.js';
import { badge, busy, button, copyButton, emptyState, pageHeader, toastError } from '../ui.js';
import { setTitle, type Page, type PageContext } from './page.js';

/** Servers report through heartbeats, not the change stream; refresh the table this often, in ms. */
const REFRESH_MS = 5_000;

export function serversPage(ctx: PageContext): Page {
  setTitle('Servers');
  const table = h('div', { class: 'stack' }, h('p', { class: 'loading' }, 'Loading…'));
  const add = button('Add server', {
    kind: 'primary',
    icon: 'plus',
    onClick: () => void busy(add, () => addServer()),
  });
  const element = h(
    'div',
    { class: 'page' },
    pageHeader({
      title: 'Servers',
      description: 'Worker nodes running the Berth agent. Environments deploy onto them.',
      actions: [add],
    }),
    table,
  );
  const refresh = async () => {
    try {
      const servers = await api<Server[]>('GET', '/api/v1/servers');
      if (!ctx.signal.aborted) replace(table, serversTable(servers));
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

function serversTable(servers: Server[]): HTMLElement {
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
