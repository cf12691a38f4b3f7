import type { z } from 'zod';
import { describeIssues, type ErrorCode } from '../errors.js';
import { agentMessageSchema, type AgentMessage } from './agent-to-control-plane.js';
import { controlPlaneMessageSchema, type ControlPlaneMessage } from './control-plane-to-agent.js';
import type { LogLine } from '../api/resources.js';

/** Largest frame either side accepts, in bytes. Log batches are split well below this. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export type DecodeResult<T> =
  { ok: true; message: T } | { ok: false; code: ErrorCode; error: string; type?: string };

type UnionSchema = z.ZodDiscriminatedUnion<z.ZodObject[], 'type'>;

function knownTypes(schema: UnionSchema): Set<string> {
  const types = new Set<string>();
  for (const option of schema.options) {
    const literal = option.shape.type as z.ZodLiteral<string>;
    for (const value of literal.values) types.add(value);
  }
  return types;
}

function makeDecoder<T>(schema: UnionSchema) {
  const types = knownTypes(schema);
  return (raw: string | Buffer): DecodeResult<T> => {
    // The size is checked before the bytes are decoded; a Buffer's length is its size.
    const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    if (bytes > MAX_FRAME_BYTES) {
      return {
        ok: false,
        code: 'FRAME_TOO_LARGE',
        error: `frame exceeds ${MAX_FRAME_BYTES} bytes`,
      };
    }
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return { ok: false, code: 'MALFORMED_FRAME', error: 'frame is not valid JSON' };
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { ok: false, code: 'MALFORMED_FRAME', error: 'frame must be a JSON object' };
    }
    const type = (data as { type?: unknown }).type;
    if (typeof type !== 'string') {
      return { ok: false, code: 'MALFORMED_FRAME', error: 'frame has no string "type" field' };
    }
    if (!types.has(type)) {
      return {
        ok: false,
        code: 'UNKNOWN_MESSAGE',
        error: `unknown message type "${type.slice(0, 64)}"`,
        type: type.slice(0, 64),
      };
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const fields = describeIssues(parsed.error)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ');
      return {
        ok: false,
        code: 'MALFORMED_FRAME',
        error: `invalid "${type}" message: ${fields}`,
        type,
      };
    }
    return { ok: true, message: parsed.data as T };
  };
}

/** Decodes a frame the agent sent. Unknown extra fields are ignored, unknown types are refused. */
export const decodeAgentMessage = makeDecoder<AgentMessage>(
  agentMessageSchema as unknown as UnionSchema,
);

/** Decodes a frame the control plane sent. */
export const decodeControlPlaneMessage = makeDecoder<ControlPlaneMessage>(
  controlPlaneMessageSchema as unknown as UnionSchema,
);

/** The exact bytes an agent signs to answer a challenge. */
export function challengeSigningPayload(nonce: string, agentId: string): Buffer {
  return Buffer.from(`berth-agent-auth:v1:${agentId}:${nonce}`, 'utf8');
}

/**
 * A log line, or a run of lines (`text` joined by "\n", see logRunSchema), as JSON, exactly
 * as `JSON.stringify` writes a {@link LogLine}, built without the object: the agent encodes
 * what it prints once, and keeps only this text.
 */
export function encodeLogLine(
  seq: number,
  tsJson: string,
  stream: LogLine['stream'],
  text: string,
  continued: boolean,
): string {
  return `{"seq":${seq},"ts":${tsJson},"stream":"${stream}","text":${JSON.stringify(text)}${continued ? ',"continued":true}' : '}'}`;
}

/**
 * The start of a `log.runs` frame; the runs, encoded by {@link encodeLogLine} and joined by
 * commas, follow, and {@link LOG_BATCH_END} closes it.
 */
export function logRunsStart(jobId: string): string {
  return `{"type":"log.runs","jobId":${JSON.stringify(jobId)},"runs":[`;
}

export const LOG_BATCH_END = ']}';

/** The scheme of the `Authorization` header an agent signs its HTTP requests with. */
export const AGENT_REQUEST_AUTH_SCHEME = 'Berth-Agent';

/** How far an agent's signed request time may be from the control plane's clock. */
export const AGENT_REQUEST_MAX_SKEW_MS = 5 * 60_000;

/**
 * The exact bytes an agent signs for one HTTP request (backup uploads and downloads). The
 * header is `Berth-Agent <agentId>:<unix ms>:<base64 signature>`; the method and path bind the
 * signature to one request, and the time bounds its replay.
 */
export function requestSigningPayload(
  method: string,
  path: string,
  agentId: string,
  timeMs: number,
): Buffer {
  return Buffer.from(`berth-agent-request:v1:${agentId}:${timeMs}:${method}:${path}`, 'utf8');
}

/** The three parts of an agent's `Authorization` header, or null when it is not one. */
export function parseAgentAuthorization(
  header: string | undefined,
): { agentId: string; timeMs: number; signature: string } | null {
  const match = /^Berth-Agent ([A-Za-z0-9_-]{1,128}):(\d{1,16}):([A-Za-z0-9+/=]{1,256})$/.exec(
    header ?? '',
  );
  if (!match) return null;
  return { agentId: match[1]!, timeMs: Number(match[2]), signature: match[3]! };
}
