import type { Hub } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import type { MetricsRegistry } from './registry.js';

/** Gauges read at scrape time. Only counts and sizes: no names, ids or secrets. */
export function registerGauges(
  registry: MetricsRegistry,
  sources: { store: Store; hub: Pick<Hub, 'sessionCount' | 'deferredTotal'> },
): void {
  registry.gauge({
    name: 'berth_servers',
    help: 'Enrolled servers, by status.',
    labelNames: ['status'],
    collect: () =>
      Object.entries(sources.store.servers.countByStatus()).map(([status, value]) => ({
        labels: { status },
        value,
      })),
  });
  // Only the live jobs: counting the whole history on every scrape would grow with it.
  registry.gauge({
    name: 'berth_jobs',
    help: 'Queued and running jobs, by kind and status.',
    labelNames: ['kind', 'status'],
    collect: async () => {
      const counts = new Map<string, number>();
      for (const job of await sources.store.history.activeJobs()) {
        const key = `${job.kind} ${job.status}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return [...counts].map(([key, value]) => {
        const [kind = '', status = ''] = key.split(' ');
        return { labels: { kind, status }, value };
      });
    },
  });
  registry.gauge({
    name: 'berth_agent_sessions',
    help: 'Authenticated agent WebSocket sessions.',
    collect: () => sources.hub.sessionCount(),
  });
  registry.gauge({
    name: 'berth_agent_connects_deferred_total',
    help: 'Agent connections told to come back later while a reconnect herd was admitted.',
    collect: () => sources.hub.deferredTotal,
  });
  registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    collect: () => process.memoryUsage.rss(),
  });
  registry.gauge({
    name: 'process_uptime_seconds',
    help: 'Seconds since the process started.',
    collect: () => Math.round(process.uptime()),
  });
}
