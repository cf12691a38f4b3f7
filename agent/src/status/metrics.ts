import { Counter, Gauge, Registry } from 'prom-client';
import type { StatusReport } from './status-report.js';

export interface AgentMetrics {
  /** The content type of the exposition, Prometheus text 0.0.4. */
  contentType: string;
  /** The agent's own figures, read from this status report. */
  render(report: StatusReport, residentMemoryBytes: number): Promise<string>;
}

/**
 * The agent's metrics in a registry of their own: no default process metrics, whose
 * event-loop and GC probes would cost memory on every worker.
 */
export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, registers: [registry] });
  const connected = gauge(
    'berth_agent_connected',
    '1 when the agent holds a welcomed connection to the control plane.',
  );
  const reconnects = counter(
    'berth_agent_reconnects_total',
    'Connection attempts made after a previous connection or attempt ended.',
  );
  const heartbeats = counter(
    'berth_agent_heartbeats_total',
    'Heartbeats sent to the control plane.',
  );
  const dockerReachable = gauge(
    'berth_agent_docker_reachable',
    '1 when the Docker engine answers.',
  );
  const runningJobs = gauge('berth_agent_running_jobs', 'Jobs the agent is running now.');
  const residentMemory = gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  // The connection keeps the running totals; a counter here is set to them, never counted twice.
  const setTotal = (metric: Counter, total: number) => {
    metric.reset();
    metric.inc(total);
  };

  return {
    contentType: registry.contentType,
    render(report, residentMemoryBytes) {
      connected.set(report.body.connected ? 1 : 0);
      setTotal(reconnects, report.reconnectsTotal);
      setTotal(heartbeats, report.heartbeatsTotal);
      dockerReachable.set(report.body.docker.reachable ? 1 : 0);
      runningJobs.set(report.body.runningJobs);
      residentMemory.set(residentMemoryBytes);
      return registry.metrics();
    },
  };
}
