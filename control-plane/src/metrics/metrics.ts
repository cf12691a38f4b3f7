import { MetricsRegistry, type Counter, type Histogram } from './registry.js';

/** The counters the control plane updates as it runs. Gauges are registered in main. */
export interface ControlPlaneMetrics {
  registry: MetricsRegistry;
  httpRequests: Counter;
  framesRejected: Counter;
  /** Seconds each deployment phase took (see the protocol's deploymentPhaseSchema). */
  deploymentPhases: Histogram;
}

/** From 10 ms to 30 min: a health check probe at one end, a cold build at the other. */
const PHASE_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

export function createMetrics(): ControlPlaneMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    httpRequests: registry.counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests answered, by method and status.',
      labelNames: ['method', 'status'],
    }),
    framesRejected: registry.counter({
      name: 'berth_ws_frames_rejected_total',
      help: 'Agent WebSocket frames refused, by error code.',
      labelNames: ['code'],
    }),
    deploymentPhases: registry.histogram({
      name: 'berth_deployment_phase_seconds',
      help: 'Time each phase of a finished deployment took, by phase and outcome.',
      labelNames: ['phase', 'status'],
      buckets: PHASE_BUCKETS_SECONDS,
    }),
  };
}
