import type { AuditLog } from '../store/audit-log.js';
import type { SignInLimiter } from '../auth/sign-in-limiter.js';
import type { AgentRelease } from '../agent-release.js';
import type { Now } from '../clock.js';
import type { BackupDeps } from './backups.js';
import type { DeploymentDeps } from './deployments.js';
import type { AgentSessions } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { NodeRuntime } from '../node-runtime.js';
import type { ControlPlaneMetrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';

/** Everything the HTTP routes need, injected so tests can build the app without sockets. */
export interface AppDeps {
  store: Store;
  sessions: Pick<AgentSessions, 'disconnect'>;
  metrics: ControlPlaneMetrics;
  adminToken: string;
  /** Configured public URL, or undefined to derive it from each request. */
  publicUrl: string | undefined;
  /** The installer and agent bundle served to worker servers. */
  agentRelease: AgentRelease;
  /** This control plane's Node.js, offered to workers that have none; null when it cannot be. */
  nodeRuntime: NodeRuntime | null;
  now: Now;
  log: Logger;
  /** The job queue, logs and live events; without them the deployment routes are not served. */
  deployments?: DeploymentDeps;
  /** Database actions and backup files; without them those routes are not served. */
  backups?: BackupDeps;
  /** Told when a service's backup schedule changes. */
  backupSchedules?: { sync(): void };
  /** The audit log; without it entries are dropped and `GET /audit` is not served (unit tests). */
  audit?: AuditLog;
  /** Slows password guessing; one per control plane. */
  signInLimiter?: SignInLimiter;
  /** Told when a service's domains change, so its server's proxy gets the new routes. */
  proxySync?: { serviceChanged(serviceId: string): void };
}
