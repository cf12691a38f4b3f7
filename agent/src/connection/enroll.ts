import {
  AGENT_PATHS,
  BERTH_VERSION,
  PROTOCOL_VERSION,
  enrollResponseSchema,
  errorBodySchema,
  type EnrollRequest,
  type EnrollResponse,
} from '@berth/protocol';
import { controlPlaneEndpoint } from '../config.js';
import { AgentError, describeError, isRetryable } from '../errors.js';
import { httpRequest, type HttpAnswer } from '../http-request.js';
import type { Logger } from '../log.js';
import type { Sleep } from '../time.js';
import { RECONNECT_BASE_MS, backoffDelayMs } from './backoff.js';

const ENROLL_TIMEOUT_MS = 15_000;

export interface EnrollOptions {
  controlPlaneUrl: URL;
  /** Sent to the control plane only; never logged. */
  joinToken: string;
  name: string;
  publicKeyBase64: string;
  signal: AbortSignal;
}

function readJson(response: HttpAnswer): unknown {
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    return undefined;
  }
}

/** One enrollment attempt: trades the join token for an identity, or throws an AgentError. */
export async function enroll(options: EnrollOptions): Promise<EnrollResponse> {
  const url = controlPlaneEndpoint(options.controlPlaneUrl, AGENT_PATHS.enroll);
  const body: EnrollRequest = {
    joinToken: options.joinToken,
    name: options.name,
    publicKey: options.publicKeyBase64,
    agentVersion: BERTH_VERSION,
    protocolVersion: PROTOCOL_VERSION,
  };
  let response: HttpAnswer;
  try {
    response = await httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
      timeoutMs: ENROLL_TIMEOUT_MS,
      readBody: true,
    });
  } catch (err) {
    throw new AgentError('UNREACHABLE', `cannot reach the control plane at ${url.href}`, {
      retryable: !options.signal.aborted,
      cause: err,
    });
  }
  const json = readJson(response);
  if (response.status >= 200 && response.status < 300) {
    const parsed = enrollResponseSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    throw new AgentError(
      'PROTOCOL_MISMATCH',
      `the control plane at ${url.href} answered enrollment with an unexpected body; ` +
        'check that BERTH_CONTROL_PLANE_URL points at a Berth control plane',
    );
  }
  return refused(response.status, json, url);
}

function refused(status: number, json: unknown, url: URL): never {
  const retryable = status >= 500 || status === 408 || status === 429;
  const error = errorBodySchema.safeParse(json);
  if (!error.success) {
    const hint =
      status === 404 ? '; check that BERTH_CONTROL_PLANE_URL points at a Berth control plane' : '';
    // Without Berth's error body, a 5xx is a control plane that is not answering yet.
    throw new AgentError(
      retryable ? 'UNREACHABLE' : 'PROTOCOL_MISMATCH',
      `enrollment at ${url.href} failed with HTTP ${status}${hint}`,
      {
        retryable,
      },
    );
  }
  const { code, message, fields } = error.data.error;
  const details = fields?.map((field) => `${field.path}: ${field.message}`).join('; ');
  const tokenHint = code.startsWith('JOIN_TOKEN_')
    ? '; create a new join token (POST /api/v1/join-tokens) and set BERTH_JOIN_TOKEN to it'
    : '';
  throw new AgentError(
    code,
    `the control plane refused enrollment (HTTP ${status} ${code}): ${message}` +
      `${details ? ` (${details})` : ''}${tokenHint}`,
    { retryable },
  );
}

export interface EnrollWithRetryOptions extends EnrollOptions {
  logger: Logger;
  sleep: Sleep;
  random: () => number;
  capMs: number;
}

/**
 * Enrolls, retrying network failures and 5xx answers with backoff until the signal aborts.
 * A refusal (used, expired or unknown token; invalid request) is thrown at once.
 */
export async function enrollWithRetry(options: EnrollWithRetryOptions): Promise<EnrollResponse> {
  let lastFailure: string | undefined;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await enroll(options);
    } catch (err) {
      if (options.signal.aborted || !isRetryable(err)) throw err;
      const failure = describeError(err);
      if (failure !== lastFailure) {
        options.logger.warn(`enrollment failed, retrying with backoff: ${failure}`);
        lastFailure = failure;
      }
      const delayMs = backoffDelayMs({
        attempt,
        baseMs: RECONNECT_BASE_MS,
        capMs: options.capMs,
        random: options.random,
      });
      await options.sleep(delayMs, options.signal);
      if (options.signal.aborted) throw new AgentError('CANCELLED', 'enrollment cancelled');
    }
  }
}
