import type { JobResult, JobSpec, LogStream } from '@berth/protocol';
import { AgentError } from '../errors.js';
import type { Sleep } from '../time.js';
import type { Engine } from '../docker/engine.js';

/** Everything one job needs; built by the runner for each job. */
export interface JobContext {
  spec: JobSpec;
  engine: Engine;
  /** Aborts on cancel or when the deadline passes; `signal.reason` says which. */
  signal: AbortSignal;
  /** Where checkouts go; each job makes its own folder inside. */
  workDir: string;
  /** Appends a line; `continued` marks a later part of a line longer than the protocol allows. */
  log(stream: LogStream, text: string, continued?: boolean): void;
  /** Null while the log keeps up; else resolves once it has room again (see LogSpool.room). */
  logRoom(): Promise<void> | null;
  /**
   * Starts the next phase of the deployment's timeline, ending the one before. Names are
   * documented in the protocol's deploymentPhaseSchema.
   */
  phase(name: string): void;
  /** Tells the control plane the deployment moved on to building or deploying. */
  setPhase(phase: 'building' | 'deploying'): void;
  /** Tells the control plane what was resolved so far (the commit after checkout). */
  report(result: JobResult): void;
  /** Notes, durably, which running containers the job is about to stop, so a crash can undo it. */
  recordStopped(containerIds: string[]): Promise<void>;
  now(): number;
  sleep: Sleep;
}

export type JobOutcome =
  | { status: 'succeeded'; result: JobResult }
  | { status: 'failed' | 'cancelled'; error: string; result: JobResult };

export function cancelledReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'cancelled';
}

/**
 * Stops a job step when the job is cancelled (CANCELLED) or past its deadline (TIMEOUT).
 * A job ends failed by throwing an AgentError whose message a person can act on.
 */
export function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof AgentError
    ? reason
    : new AgentError('CANCELLED', cancelledReason(signal));
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
