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
  const registers = [registry];
  const connected = new Gauge({
    name: 'berth_agent_connected',
    help: '1 when the agent holds a welcomed connection to the control plane.',
    registers,
  });
  const reconnects = new Counter({
    name: 'berth_agent_reconnects_total',
    help: 'Connection attempts made after a previous connection or attempt ended.',
    registers,
  });
  const heartbeats = new Counter({
    name: 'berth_agent_heartbeats_total',
    help: 'Heartbeats sent to the control plane.',
    registers,
  });
  const dockerReachable = new Gauge({
    name: 'berth_agent_docker_reachable',
    help: '1 when the Docker engine answers.',
    registers,
  });
  const runningJobs = new Gauge({
    name: 'berth_agent_running_jobs',
    help: 'Jobs the agent is running now.',
    registers,
  });
  const residentMemory = new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
  });
  // The connection keeps the running totals; a counter here is set to them, never counted twice.
  const setTotal = (counter: Counter, total: number) => {
    counter.reset();
    counter.inc(total);
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
