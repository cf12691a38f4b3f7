/// <reference lib="dom" />
import type { ActionResponse, CacheMode, Deployment, Job, Service } from '@berth/protocol';
import { canIn } from '../access.js';
import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import { CACHE_LABELS } from '../format.js';
import type { ServiceModel } from '../service-model.js';
import { toast } from '../toast.js';
import { busy, button, emptyState, pageHeader, toastError } from '../ui.js';
import { openRedeployDialog, openUnexposeDialog } from './deployment-dialogs.js';
import { deploymentRow, type RowActions, type RowView } from './deployment-row.js';
import type { PageContext } from './page.js';
import type { TabView } from './service.js';
import { stopBlocker } from './stop-guard.js';

/** Running rows show a live duration; this is how often it ticks, in milliseconds. */
const TICK_MS = 1_000;
const PAGE_SIZE = 20;

const JOB_LABELS: Record<Job['kind'], string> = {
  deploy: 'Deployment',
  restart: 'Restart',
  stop: 'Stop',
  backup: 'Backup',
  restore: 'Restore',
  expose: 'Expose',
  unexpose: 'Unexpose',
};

/**
 * The Deployments tab: Deploy/Redeploy, Restart and Stop, and the history, whose
 * rows and badges follow the service's change stream.
 */
export function deploymentsTab(model: ServiceModel, ctx: PageContext): TabView {
  const service = (): Service => model.service!;
  const primary = button('Deploy', { kind: 'primary', icon: 'rocket', class: 'primary-action' });
  const restart = button('Restart', { icon: 'restart' });
  const stop = button('Stop', { icon: 'stop' });
  const canDeploy = canIn(model.projectId, 'deploy');
  const body = h('tbody', {});
  const more = button('Load older deployments', { kind: 'ghost' });
  const empty = emptyState(
    'No deployments yet',
    'Press Deploy to build and start this service. Its history and logs appear here.',
  );
  const tableWrap = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table deployments', attrs: { 'aria-label': 'Deployment history' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['#', 'Status', 'Trigger', 'Cache', 'Commit / digest', 'Started', 'Duration'].map(
            (label) => h('th', { attrs: { scope: 'col' } }, label),
          ),
          h('th', { attrs: { scope: 'col' } }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      body,
    ),
  );
  // Host ports are held by one container at a time, so the old release stops before the new one.
  const portNote = h(
    'p',
    { class: 'deploy-note', attrs: { role: 'note' } },
    'Deploys of a service with host ports have a short outage; add a domain for zero-downtime releases.',
  );
  const element = h(
    'section',
    { class: 'deployments-tab', attrs: { 'aria-labelledby': 'deployments-heading' } },
    pageHeader({
      level: 'h2',
      title: 'Deployments',
      description: 'Deployment history and status',
      actions: [
        canDeploy &&
          h(
            'div',
            { class: 'action-group', attrs: { role: 'group', 'aria-label': 'Service actions' } },
            primary,
            restart,
            stop,
          ),
      ],
    }),
    portNote,
    empty,
    tableWrap,
    more,
  );
  element.querySelector('h2')!.id = 'deployments-heading';

  const rows = new Map<string, RowView>();
  /** Restart and stop jobs asked for here, to report how they ended. */
  const watchedJobs = new Set<string>();
  let openLog: RowView | null = null;

  /** Jobs the stream said had ended, in case that came before the action's own answer. */
  const endedJobs = new Map<string, Job>();

  const queued = (answer: ActionResponse, detail: string) => {
    toast(answer.message, { detail });
    if (answer.job.kind !== 'deploy') {
      watchedJobs.add(answer.job.id);
      const ended = endedJobs.get(answer.job.id);
      if (ended) reportJob(ended, watchedJobs);
    }
    if (answer.deployment) model.applyDeployment(answer.deployment);
  };

  const deploy = async (cache: CacheMode) => {
    const answer = await api<ActionResponse>(
      'POST',
      `/api/v1/services/${encodeURIComponent(service().id)}/deployments`,
      { cache },
    );
    const label = service().primaryAction === 'deploy' ? 'Deploy' : 'Redeploy';
    queued(answer, `${label} #${answer.deployment?.number ?? ''} · ${CACHE_LABELS[cache]}`);
  };

  primary.addEventListener('click', () => {
    if (service().primaryAction === 'deploy') {
      void busy(primary, () =>
        deploy('use-existing').catch((err) => toastError(err, 'Could not deploy')),
      );
    } else {
      openRedeployDialog((cache) => deploy(cache));
    }
  });

  restart.addEventListener('click', () => {
    if (service().primaryAction === 'deploy') {
      // Nothing has run yet: say so here rather than send a request bound to fail.
      toast('Deploy first', {
        kind: 'warning',
        detail: 'There is no deployment to restart yet. Press Deploy to run the service.',
      });
      return;
    }
    void busy(restart, async () => {
      try {
        const answer = await api<ActionResponse>(
          'POST',
          `/api/v1/services/${encodeURIComponent(service().id)}/restart`,
        );
        queued(answer, `Restart of ${service().name}`);
      } catch (err) {
        toastError(err, 'Could not restart');
      }
    });
  });

  stop.addEventListener('click', () => {
    const blocked = stopBlocker(service());
    if (blocked) {
      openUnexposeDialog(service(), blocked);
      return;
    }
    void busy(stop, async () => {
      try {
        const answer = await api<ActionResponse>(
          'POST',
          `/api/v1/services/${encodeURIComponent(service().id)}/stop`,
        );
        queued(answer, `Stop of ${service().name}`);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'EXPOSED') {
          openUnexposeDialog(service(), err.message);
        } else {
          toastError(err, 'Could not stop');
        }
      }
    });
  });

  const actions: RowActions = {
    canDeploy,
    toggleLogs(row) {
      if (openLog && openLog !== row) openLog.closeLogs();
      openLog = row.toggleLogs(ctx) ? row : null;
    },
    async cancel(deployment) {
      try {
        const answer = await api<ActionResponse>(
          'POST',
          `/api/v1/deployments/${encodeURIComponent(deployment.id)}/cancel`,
        );
        queued(answer, `Cancel of deployment #${deployment.number}`);
      } catch (err) {
        toastError(err, `Could not cancel #${deployment.number}`);
      }
    },
    async rollback(deployment) {
      try {
        const answer = await api<ActionResponse>(
          'POST',
          `/api/v1/deployments/${encodeURIComponent(deployment.id)}/rollback`,
        );
        queued(answer, `Rollback to #${deployment.number} as #${answer.deployment?.number ?? ''}`);
      } catch (err) {
        toastError(err, `Could not roll back to #${deployment.number}`);
      }
    },
  };

  const render = () => {
    const current = service();
    primary.querySelector('.btn-label')!.textContent =
      current.primaryAction === 'deploy' ? 'Deploy' : 'Redeploy';
    primary.dataset.action = current.primaryAction;
    portNote.hidden = current.ports.length === 0 || current.source.type === 'database';
    const list = model.deployments;
    empty.hidden = list.length > 0;
    tableWrap.hidden = list.length === 0;
    more.hidden = !model.hasMore;
    // Rows stay in place (an open log keeps streaming); only their order is fixed up.
    let anchor: Element | null = null;
    for (const deployment of list) {
      let row = rows.get(deployment.id);
      if (!row) {
        row = deploymentRow(deployment, actions);
        rows.set(deployment.id, row);
      }
      row.update(deployment, current);
      const next: Element | null = anchor ? anchor.nextElementSibling : body.firstElementChild;
      if (next !== row.element) body.insertBefore(row.element, next);
      anchor = row.element;
      for (const detail of row.detailRows()) {
        if (anchor.nextElementSibling !== detail) anchor.after(detail);
        anchor = detail;
      }
    }
  };

  more.addEventListener('click', () => {
    const oldest = model.deployments.at(-1);
    if (!oldest) return;
    void busy(more, async () => {
      try {
        const older = await api<Deployment[]>(
          'GET',
          `/api/v1/services/${encodeURIComponent(service().id)}/deployments?limit=${PAGE_SIZE}&before=${oldest.number}`,
        );
        model.addOlder(older, older.length === PAGE_SIZE);
      } catch (err) {
        toastError(err, 'Could not load older deployments');
      }
    });
  });

  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'job') {
      if (isJobOver(change.job)) {
        endedJobs.set(change.job.id, change.job);
        // Only the last few matter: an answer arrives within moments of its job.
        if (endedJobs.size > 20) endedJobs.delete(endedJobs.keys().next().value!);
      }
      reportJob(change.job, watchedJobs);
      return;
    }
    if (change.type === 'backup') return;
    render();
  });
  const ticker = setInterval(() => {
    for (const row of rows.values()) row.tick();
  }, TICK_MS);
  render();

  return {
    element,
    dispose() {
      unsubscribe();
      clearInterval(ticker);
      for (const row of rows.values()) row.closeLogs();
    },
  };
}

function isJobOver(job: Job): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}

/** Says how a restart or stop asked for on this page ended, once. */
function reportJob(job: Job, watched: Set<string>): void {
  if (!watched.has(job.id)) return;
  if (job.status === 'succeeded') {
    watched.delete(job.id);
    toast(`${JOB_LABELS[job.kind]} finished`, { kind: 'info' });
  } else if (job.status === 'failed' || job.status === 'cancelled') {
    watched.delete(job.id);
    toast(`${JOB_LABELS[job.kind]} ${job.status}`, { kind: 'error', detail: job.error ?? '' });
  }
}
