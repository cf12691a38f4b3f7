import type { Hub } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import type { MetricsRegistry } from './registry.js';

/** Gauges read at scrape time. Only counts and sizes: no names, ids or secrets. */
export function registerGauges(
  registry: MetricsRegistry,
  sources: { store: Store; hub: Pick<Hub, 'sessionCount' | 'deferredTotal'> },
): void {
  registry.gauge('berth_servers', 'Enrolled servers, by status.', () =>
    Object.entries(sources.store.servers.countByStatus()).map(([status, value]) => ({
      labels: { status },
      value,
    })),
  );
  // Only the live jobs: counting the whole history on every scrape would grow with it.
  registry.gauge('berth_jobs', 'Queued and running jobs, by kind and status.', async () => {
    const counts = new Map<string, number>();
    for (const job of await sources.store.history.activeJobs()) {
      const key = `${job.kind} ${job.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, value]) => {
      const [kind = '', status = ''] = key.split(' ');
      return { labels: { kind, status }, value };
    });
  });
  registry.gauge('berth_agent_sessions', 'Authenticated agent WebSocket sessions.', () =>
    sources.hub.sessionCount(),
  );
  registry.gauge(
    'berth_agent_connects_deferred_total',
    'Agent connections told to come back later while a reconnect herd was admitted.',
    () => sources.hub.deferredTotal,
  );
  registry.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () =>
    process.memoryUsage.rss(),
  );
  registry.gauge('process_uptime_seconds', 'Seconds since the process started.', () =>
    Math.round(process.uptime()),
  );
}
