import type { Healthcheck } from '@berth/protocol';
import type { Engine } from '../docker/engine.js';
import { httpRequest } from '../http-request.js';
import type { JobContext } from './job-context.js';

export type HealthResult = { ok: true; answeredAt: number } | { ok: false; reason: string };

const POLL_MS = 250;
const REQUEST_TIMEOUT_MS = 2_000;
/** An HTTP check probes at once, then waits 5, 10, 20 … ms between probes, up to POLL_MS. */
const FIRST_RETRY_MS = 5;

/** The wait before probe number `attempt + 1`: doubling from FIRST_RETRY_MS, capped at POLL_MS. */
export function probeDelayMs(attempt: number): number {
  return Math.min(POLL_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt, 16));
}

function exitedReason(exitCode: number | undefined, afterMs: number): string {
  return `the container exited with status ${exitCode ?? 'unknown'} after ${(afterMs / 1000).toFixed(1)} s`;
}

/** Passes when the container stays up for the whole window without restarting. */
async function checkRunning(
  ctx: Pick<JobContext, 'signal' | 'now' | 'sleep'>,
  engine: Engine,
  containerId: string,
  seconds: number,
): Promise<HealthResult> {
  const started = ctx.now();
  const deadline = started + seconds * 1000;
  for (;;) {
    const details = await engine.inspectContainer(containerId);
    if (!details) return { ok: false, reason: 'the container disappeared' };
    if (details.state !== 'running' || details.restartCount > 0) {
      return { ok: false, reason: exitedReason(details.exitCode, ctx.now() - started) };
    }
    if (ctx.now() >= deadline) return { ok: true, answeredAt: started };
    if (ctx.signal.aborted) return { ok: false, reason: 'cancelled' };
    await ctx.sleep(Math.min(POLL_MS, Math.max(0, deadline - ctx.now())), ctx.signal);
  }
}

async function probe(url: string): Promise<{ status?: number; error?: string }> {
  try {
    // Redirects are not followed: a 3xx passes as it is.
    const res = await httpRequest(new URL(url), { timeoutMs: REQUEST_TIMEOUT_MS });
    return { status: res.status };
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
    return { error: cause ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** Passes on the first 2xx or 3xx answer from the container's port within the timeout. */
async function checkHttp(
  ctx: Pick<JobContext, 'signal' | 'now' | 'sleep'>,
  engine: Engine,
  containerId: string,
  check: Extract<Healthcheck, { type: 'http' }>,
): Promise<HealthResult> {
  const started = ctx.now();
  const deadline = started + check.timeoutSeconds * 1000;
  let last = 'no answer yet';
  let address: string | null = null;
  // The container is inspected first (for its address), then again only every POLL_MS while
  // probes fail, to notice it exiting; quick probes in between cost no Docker call.
  let inspectedAt = -Infinity;
  for (let attempt = 0; ; attempt += 1) {
    if (!address || ctx.now() - inspectedAt >= POLL_MS) {
      const details = await engine.inspectContainer(containerId);
      inspectedAt = ctx.now();
      if (!details) return { ok: false, reason: 'the container disappeared' };
      if (details.state !== 'running')
        return { ok: false, reason: exitedReason(details.exitCode, ctx.now() - started) };
      address = details.ipAddress;
    }
    if (address) {
      const answer = await probe(`http://${address}:${check.port}${check.path}`);
      if (answer.status !== undefined && answer.status >= 200 && answer.status < 400) {
        return { ok: true, answeredAt: ctx.now() };
      }
      last = answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? 'no answer');
    } else {
      last = 'the container has no network address';
    }
    if (ctx.signal.aborted) return { ok: false, reason: 'cancelled' };
    if (ctx.now() >= deadline) {
      return {
        ok: false,
        reason: `port ${check.port} path ${check.path} gave no 2xx or 3xx answer within ${check.timeoutSeconds} s (last: ${last})`,
      };
    }
    await ctx.sleep(probeDelayMs(attempt), ctx.signal);
  }
}

export function runHealthcheck(
  ctx: Pick<JobContext, 'signal' | 'now' | 'sleep'>,
  engine: Engine,
  containerId: string,
  check: Healthcheck,
): Promise<HealthResult> {
  switch (check.type) {
    case 'running':
      return checkRunning(ctx, engine, containerId, check.seconds);
    case 'http':
      return checkHttp(ctx, engine, containerId, check);
  }
}

export function describeHealthcheck(check: Healthcheck): string {
  switch (check.type) {
    case 'running':
      return `the container must keep running for ${check.seconds} s`;
    case 'http':
      return `port ${check.port} path ${check.path} must answer 2xx or 3xx within ${check.timeoutSeconds} s`;
  }
}
