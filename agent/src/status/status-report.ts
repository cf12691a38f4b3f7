import { displayUrl } from '../config.js';
import type { Engine } from '../docker/engine.js';

/** The body of `GET /status`. Holds no secret: no token, no key, no credentials. */
export interface StatusBody {
  connected: boolean;
  controlPlaneUrl: string;
  agentId: string | null;
  /** ISO-8601 time of the last `heartbeat.ack`, or null before the first. */
  lastHeartbeatAt: string | null;
  runningJobs: number;
  docker: { reachable: boolean; version: string | null };
  /** Why the agent is not connected, when it is not. */
  lastError: string | null;
}

export interface StatusReport {
  body: StatusBody;
  reconnectsTotal: number;
  heartbeatsTotal: number;
}

/** The parts of the connection state the status port shows; `AgentConnection.state` fits. */
export interface ConnectionStatus {
  connected: boolean;
  lastHeartbeatAt: number | null;
  lastError: string | null;
  reconnectsTotal: number;
  heartbeatsTotal: number;
}

export interface StatusSources {
  controlPlaneUrl: URL;
  /** null until enrollment has finished. */
  agentId: () => string | null;
  connection: () => Readonly<ConnectionStatus>;
  docker: Engine;
  runningJobs: () => number;
}

export type CollectStatus = () => Promise<StatusReport>;

export function createStatusCollector(sources: StatusSources): CollectStatus {
  return async () => {
    const version = await sources.docker.version();
    const state = sources.connection();
    return {
      body: {
        connected: state.connected,
        controlPlaneUrl: displayUrl(sources.controlPlaneUrl),
        agentId: sources.agentId(),
        lastHeartbeatAt:
          state.lastHeartbeatAt === null ? null : new Date(state.lastHeartbeatAt).toISOString(),
        runningJobs: sources.runningJobs(),
        docker: { reachable: version !== null, version },
        lastError: state.connected ? null : state.lastError,
      },
      reconnectsTotal: state.reconnectsTotal,
      heartbeatsTotal: state.heartbeatsTotal,
    };
  };
}
