import { MetricsRegistry, type Counter } from './registry.js';

/** The counters the control plane updates as it runs. Gauges are registered in main. */
export interface ControlPlaneMetrics {
  registry: MetricsRegistry;
  httpRequests: Counter;
  framesRejected: Counter;
}

export function createMetrics(): ControlPlaneMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    httpRequests: registry.counter(
      'berth_http_requests_total',
      'HTTP requests answered, by method and status.',
    ),
    framesRejected: registry.counter(
      'berth_ws_frames_rejected_total',
      'Agent WebSocket frames refused, by error code.',
    ),
  };
}
