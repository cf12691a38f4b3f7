/// <reference lib="dom" />
import type { LogLine } from '@berth/protocol';
import { h } from '../dom.js';
import { openLiveStream, type LiveStream } from '../live.js';
import { createLogView } from '../log-view.js';
import type { ServiceModel } from '../service-model.js';
import { button, pageHeader } from '../ui.js';
import type { PageContext } from './page.js';
import type { TabView } from './service.js';

/** Lines of earlier output shown when the tab opens. */
const TAIL_LINES = 200;

/** The Logs tab: follows the running container's own output. */
export function containerLogsTab(model: ServiceModel, ctx: PageContext): TabView {
  const service = model.service!;
  const view = createLogView({
    label: `Output of ${service.name}`,
    empty: 'No output yet.',
  });
  let stream: LiveStream | null = null;
  const reconnect = button('Reconnect', {
    kind: 'secondary',
    class: 'btn-small',
    icon: 'restart',
    onClick: () => connect(),
  });
  reconnect.hidden = true;
  view.setControls(reconnect);

  const connect = () => {
    stream?.close();
    reconnect.hidden = true;
    stream = openLiveStream({
      url: () =>
        `/api/v1/services/${encodeURIComponent(service.id)}/logs?follow=1&tail=${TAIL_LINES}`,
      signal: ctx.signal,
      onSignedOut: ctx.onSignedOut,
      onState: (state) => {
        if (state === 'connecting') view.setStatus('Connecting…', 'idle');
        if (state === 'open') {
          // Each connection sends the tail again, numbered from 1.
          view.reset();
          view.setStatus('Following', 'live');
        }
        if (state === 'retrying') view.setStatus('Reconnecting…', 'error');
      },
      on: {
        line: (data) => view.push([data as LogLine]),
        end: (data, current) => {
          current.close();
          const { error } = data as { error?: string };
          view.setStatus(
            error ?? 'The container stopped; its output ended.',
            error ? 'error' : 'done',
          );
          reconnect.hidden = false;
        },
      },
    });
  };
  connect();

  const element = h(
    'section',
    { class: 'logs-tab' },
    pageHeader({
      level: 'h2',
      title: 'Logs',
      description: "The running container's output, as it happens",
    }),
    view.element,
  );
  return {
    element,
    dispose: () => stream?.close(),
  };
}
