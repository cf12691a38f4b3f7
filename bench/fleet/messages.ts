// IPC between the fleet benchmark and its simulator children.

export type ChildCommand =
  | { type: 'setup'; cpUrl: string; heartbeatMs: number }
  | { type: 'enroll'; count: number; adminToken: string; concurrency: number }
  | { type: 'connect' }
  | { type: 'stats'; takeRtts: boolean }
  | { type: 'stop' };

export type ChildReport =
  | { type: 'ready' }
  | { type: 'enrolled'; latencies: number[] }
  | { type: 'connecting' }
  | { type: 'failed'; error: string }
  | {
      type: 'stats';
      agents: number;
      /** Agents whose current socket is welcomed. */
      welcomed: number;
      welcomes: number;
      /** Handshakes that took longer than the agent's 15 s limit. */
      timeouts: number;
      /** `connect.retry` answers received. */
      deferred: number;
      closes: number;
      /** Heartbeat round trips since the last take, in ms. */
      rtts: number[];
      cpuMicros: number;
    };

export type StatsReport = Extract<ChildReport, { type: 'stats' }>;
