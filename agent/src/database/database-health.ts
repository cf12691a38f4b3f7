import type { DatabaseSource } from '@berth/protocol';
import type { Engine } from '../docker/engine.js';
import type { HealthResult } from '../jobs/healthcheck.js';
import type { JobContext } from '../jobs/job-context.js';
import { databaseProbe, describeProbeResult } from './probes.js';

/** How long a database gets to answer its probe: first starts initialise the data directory. */
export const DATABASE_READY_TIMEOUT_MS = 180_000;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

/** The wait before probe number `attempt + 1`: 100 ms doubling, capped at 2 s. */
export function databaseProbeDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 16));
}

export function describeDatabaseHealthcheck(source: DatabaseSource, env: Record<string, string>) {
  const probe = databaseProbe(source.engine, env);
  return `${probe.name} must answer within ${DATABASE_READY_TIMEOUT_MS / 1000} s`;
}

/**
 * Probes the database through the engine's exec API: at once, then backing off. Fails
 * with the probe's last answer when the container exits or the time runs out.
 */
export async function checkDatabaseHealth(
  ctx: Pick<JobContext, 'signal' | 'now' | 'sleep'>,
  engine: Engine,
  containerId: string,
  service: { source: DatabaseSource; env: Record<string, string> },
): Promise<HealthResult> {
  const probe = databaseProbe(service.source.engine, service.env);
  const started = ctx.now();
  const deadline = started + DATABASE_READY_TIMEOUT_MS;
  let last = 'no answer yet';
  for (let attempt = 0; ; attempt += 1) {
    const details = await engine.inspectContainer(containerId);
    if (!details) return { ok: false, reason: 'the container disappeared' };
    if (details.state !== 'running') {
      const seconds = ((ctx.now() - started) / 1000).toFixed(1);
      return {
        ok: false,
        reason: `the container exited with status ${details.exitCode ?? 'unknown'} after ${seconds} s (last ${probe.name}: ${last})`,
      };
    }
    try {
      const result = await engine.runExec(containerId, probe.cmd, probe.env, {
        signal: ctx.signal,
      });
      if (probe.passes(result)) return { ok: true, answeredAt: ctx.now() };
      last = describeProbeResult(result);
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (ctx.signal.aborted) return { ok: false, reason: 'cancelled' };
    if (ctx.now() >= deadline) {
      return {
        ok: false,
        reason: `${probe.name} did not answer within ${DATABASE_READY_TIMEOUT_MS / 1000} s (last: ${last})`,
      };
    }
    await ctx.sleep(
      Math.min(databaseProbeDelayMs(attempt), Math.max(0, deadline - ctx.now())),
      ctx.signal,
    );
  }
}
