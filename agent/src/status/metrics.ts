import type { StatusReport } from './status-report.js';

interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  value: number;
}

/** Prometheus text exposition (version 0.0.4) of the agent's own figures. */
export function renderMetrics(report: StatusReport, residentMemoryBytes: number): string {
  const metrics: Metric[] = [
    {
      name: 'berth_agent_connected',
      help: '1 when the agent holds a welcomed connection to the control plane.',
      type: 'gauge',
      value: report.body.connected ? 1 : 0,
    },
    {
      name: 'berth_agent_reconnects_total',
      help: 'Connection attempts made after a previous connection or attempt ended.',
      type: 'counter',
      value: report.reconnectsTotal,
    },
    {
      name: 'berth_agent_heartbeats_total',
      help: 'Heartbeats sent to the control plane.',
      type: 'counter',
      value: report.heartbeatsTotal,
    },
    {
      name: 'berth_agent_docker_reachable',
      help: '1 when the Docker engine answers.',
      type: 'gauge',
      value: report.body.docker.reachable ? 1 : 0,
    },
    {
      name: 'berth_agent_running_jobs',
      help: 'Jobs the agent is running now.',
      type: 'gauge',
      value: report.body.runningJobs,
    },
    {
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      type: 'gauge',
      value: residentMemoryBytes,
    },
  ];
  return metrics
    .map((m) => `# HELP ${m.name} ${m.help}\n# TYPE ${m.name} ${m.type}\n${m.name} ${m.value}\n`)
    .join('');
}
