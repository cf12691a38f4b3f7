/// <reference lib="dom" />
import type { LogLine, Service } from '@berth/protocol';
import { h, newId, replace } from '../dom.js';
import {
  CACHE_LABELS,
  TRIGGER_LABELS,
  absoluteTime,
  duration,
  relativeTime,
  revisionOf,
  timelineTotal,
} from '../format.js';
import { openLiveStream, type LiveStream } from '../live.js';
import { deploymentLogSource, fetchLogLines } from '../log-source.js';
import { createLogView, type LogView } from '../log-view.js';
import { icon } from '../icons.js';
import { isFinished, type DeploymentItem } from '../service-model.js';
import { badge, busy, button, copyButton, setBadge } from '../ui.js';
import { timelineChart, type TimelineView } from './deployment-timeline.js';
import type { PageContext } from './page.js';

export interface RowActions {
  toggleLogs(row: RowView): void;
  cancel(deployment: DeploymentItem): Promise<void>;
  rollback(deployment: DeploymentItem): Promise<void>;
  /** Whether the user may deploy here: Cancel and Rollback are offered only then. */
  readonly canDeploy: boolean;
}

export interface RowView {
  element: HTMLTableRowElement;
  /** The rows open below this one, in order: the timeline, then the log panel. */
  detailRows(): HTMLTableRowElement[];
  update(deployment: DeploymentItem, service: Service): void;
  /** Refreshes its times: how long ago it started, and a running duration. */
  tick(): void;
  /** Opens or closes the log panel; true when it is now open. */
  toggleLogs(ctx: PageContext): boolean;
  closeLogs(): void;
}

const COLUMNS = 8;

/** One history row. Cells are updated in place, so focus and an open log survive updates. */
export function deploymentRow(initial: DeploymentItem, actions: RowActions): RowView {
  let deployment = initial;
  const status = badge(initial.status);
  // Shown while the agent running this deployment is out of contact: not an outcome yet.
  const contact = badge('contact-lost', 'connection lost');
  contact.hidden = true;
  const error = h('p', { class: 'row-error' });
  const trigger = h('td', { data: { label: 'Trigger' } });
  const cacheLabel = h('span');
  const cache = h('td', { data: { label: 'Cache' } }, cacheLabel);
  const revision = h('td', { class: 'revision', data: { label: 'Commit / digest' } });
  const started = h('td', { data: { label: 'Started' } });
  const timelineId = newId('deployment-timeline');
  const total = h('button', {
    class: 'timeline-toggle numeric',
    attrs: {
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': timelineId,
      title: 'Show the timeline: how long each phase took',
    },
  });
  const took = h('td', { class: 'numeric', data: { label: 'Duration' } }, total);
  const logPanelId = newId('deployment-log');

  const logs = button('View Logs', { kind: 'ghost', icon: 'logs', class: 'btn-small view-logs' });
  logs.setAttribute('aria-expanded', 'false');
  logs.setAttribute('aria-controls', logPanelId);
  const cancel = button('Cancel', { kind: 'ghost', icon: 'x', class: 'btn-small' });
  const rollback = button('Rollback', { kind: 'ghost', icon: 'rollback', class: 'btn-small' });
  logs.addEventListener('click', () => actions.toggleLogs(view));
  cancel.addEventListener('click', () => void busy(cancel, () => actions.cancel(deployment)));
  rollback.addEventListener('click', () => void busy(rollback, () => actions.rollback(deployment)));

  const element = h(
    'tr',
    { class: 'deployment-row', data: { deploymentId: initial.id } },
    h('td', { class: 'number', data: { label: '#' } }, `#${initial.number}`),
    h(
      'td',
      { data: { label: 'Status' } },
      h('div', { class: 'status-cell' }, status, contact, error),
    ),
    trigger,
    cache,
    revision,
    started,
    took,
    h(
      'td',
      { class: 'row-actions-cell' },
      h('div', { class: 'row-buttons' }, logs, cancel, rollback),
    ),
  );

  let logRow: HTMLTableRowElement | null = null;
  let logView: LogView | null = null;
  let timelineRow: HTMLTableRowElement | null = null;
  let timeline: TimelineView | null = null;
  const toggleTimeline = () => {
    if (timelineRow) {
      timelineRow.remove();
      timelineRow = null;
      timeline = null;
    } else {
      timeline = timelineChart(deployment);
      timelineRow = h(
        'tr',
        { class: 'timeline-row' },
        h('td', { attrs: { colspan: COLUMNS, id: timelineId } }, timeline.element),
      );
      element.after(timelineRow);
    }
    total.setAttribute('aria-expanded', String(timelineRow !== null));
  };
  total.addEventListener('click', toggleTimeline);
  let stream: LiveStream | null = null;

  const startedTime = h('time');
  started.appendChild(startedTime);
  /** Writes only what changed, so a tick every second touches little. */
  const setText = (node: HTMLElement, value: string) => {
    if (node.textContent !== value) node.textContent = value;
  };
  const times = () => {
    const since = deployment.startedAt ?? deployment.createdAt;
    if (startedTime.dateTime !== since) {
      startedTime.dateTime = since;
      startedTime.title = absoluteTime(since);
    }
    setText(startedTime, relativeTime(since));
    const ms = timelineTotal(deployment);
    setText(total, ms === null ? '—' : duration(ms));
    total.setAttribute(
      'aria-label',
      `Timeline of deployment #${deployment.number}: ${total.textContent ?? ''}`,
    );
    if (timeline && !isFinished(deployment)) timeline.update(deployment);
  };

  let shownRevision = '';
  const view: RowView = {
    element,
    detailRows() {
      return [timelineRow, logRow].filter((row): row is HTMLTableRowElement => row !== null);
    },
    update(next, service) {
      deployment = next;
      element.dataset.status = next.status;
      if (status.dataset.status !== next.status) setBadge(status, next.status);
      contact.hidden = next.contact !== 'lost';
      contact.title = next.contactLostAt
        ? `No contact with the server's agent since ${absoluteTime(next.contactLostAt)}; the deployment goes on when it is back`
        : '';
      error.textContent = next.error ?? '';
      error.title = next.error ?? '';
      error.hidden = !next.error;
      trigger.textContent = TRIGGER_LABELS[next.trigger];
      if (cacheLabel.dataset.cache !== next.cache) {
        cacheLabel.dataset.cache = next.cache;
        cacheLabel.title = `cache: ${next.cache}`;
        cacheLabel.textContent = CACHE_LABELS[next.cache];
      }
      const rev = revisionOf(next);
      if (shownRevision !== `${rev.full}|${rev.resolved}`) {
        shownRevision = `${rev.full}|${rev.resolved}`;
        replace(
          revision,
          rev.resolved
            ? h(
                'span',
                { class: 'revision-value' },
                h('code', { attrs: { title: rev.full } }, rev.short),
                copyButton(rev.full, next.source.type === 'git' ? 'commit SHA' : 'image digest'),
              )
            : h(
                'span',
                {
                  class: 'muted mono',
                  attrs: { title: 'The exact commit or digest is recorded as it is resolved' },
                },
                rev.short,
              ),
        );
      }
      timeline?.update(next);
      times();
      cancel.hidden = !actions.canDeploy || isFinished(next);
      rollback.hidden = !(
        actions.canDeploy &&
        next.status === 'succeeded' &&
        next.id !== service.currentDeploymentId &&
        next.rollbackAvailable !== false
      );
      rollback.title = `Deploy the exact image of #${next.number} again`;
      if (logView && isFinished(next) && !stream)
        logView.setStatus(`Finished: ${next.status}`, 'done');
    },
    tick() {
      times();
    },
    toggleLogs(ctx) {
      if (logRow) {
        view.closeLogs();
        return false;
      }
      const sourceOptions = { signal: ctx.signal, onSignedOut: ctx.onSignedOut };
      logView = createLogView({
        label: `Log of deployment #${deployment.number}`,
        source: deploymentLogSource(deployment.id, sourceOptions),
      });
      const closeButton = button('Close', {
        kind: 'ghost',
        class: 'btn-small',
        onClick: () => view.closeLogs(),
      });
      const download = h(
        'a',
        {
          class: 'btn btn-ghost btn-small log-download',
          attrs: {
            href: `/api/v1/deployments/${encodeURIComponent(deployment.id)}/logs?format=text`,
            download: `deployment-${deployment.number}.log`,
            title: 'The whole log as a text file',
          },
        },
        icon('download', 14),
        h('span', { class: 'btn-label' }, 'Download'),
      );
      logView.setControls(download, closeButton);
      logRow = h(
        'tr',
        { class: 'log-row' },
        h(
          'td',
          { attrs: { colspan: COLUMNS, id: logPanelId } },
          h(
            'div',
            { class: 'log-panel' },
            h('h3', { class: 'log-title' }, `Deployment #${deployment.number} log`),
            logView.element,
          ),
        ),
      );
      (timelineRow ?? element).after(logRow);
      element.classList.add('row-open');
      logs.setAttribute('aria-expanded', 'true');
      logs.querySelector('.btn-label')!.textContent = 'Hide Logs';
      stream = followLog(deployment.id, logView, ctx, () => {
        stream = null;
      });
      return true;
    },
    closeLogs() {
      stream?.close();
      stream = null;
      logRow?.remove();
      logRow = null;
      logView = null;
      element.classList.remove('row-open');
      logs.setAttribute('aria-expanded', 'false');
      logs.querySelector('.btn-label')!.textContent = 'View Logs';
    },
  };
  return view;
}

/** Lines of the log's end shown at once when the view opens; earlier ones load as they are shown. */
const OPENING_TAIL_LINES = 1000;

/**
 * Shows the end of a deployment's log, then streams what comes after it, resuming after
 * the last line on reconnect. A long finished log is never sent whole: the view fetches
 * the pages it shows.
 */
function followLog(
  deploymentId: string,
  view: LogView,
  ctx: PageContext,
  onEnd: () => void,
): LiveStream {
  let live: LiveStream | null = null;
  let closed = false;
  view.setStatus('Loading…', 'idle');
  const tailPath = `/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs?tail=${OPENING_TAIL_LINES}`;
  void fetchLogLines(tailPath, { signal: ctx.signal, onSignedOut: ctx.onSignedOut })
    .then((lines) => view.push(lines))
    .catch(() => undefined) // the stream below sends the lines instead
    .then(() => {
      if (closed) return;
      live = openLiveStream({
        url: () =>
          `/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs?follow=1&after=${view.lastSeq}`,
        signal: ctx.signal,
        onSignedOut: ctx.onSignedOut,
        onState: (state) => {
          if (state === 'open') view.setStatus('Live', 'live');
          if (state === 'retrying') view.setStatus('Reconnecting…', 'error');
        },
        on: {
          line: (data) => view.push([data as LogLine]),
          end: (data, stream) => {
            const { status } = data as { status?: string };
            stream.close();
            view.setStatus(`Finished: ${status ?? 'done'}`, 'done');
            onEnd();
          },
        },
      });
    });
  return {
    close() {
      closed = true;
      live?.close();
    },
  };
}
