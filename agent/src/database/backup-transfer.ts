import { sign, type KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { AGENT_REQUEST_AUTH_SCHEME, errorBodySchema, requestSigningPayload } from '@berth/protocol';
import { z } from 'zod';
import { controlPlaneEndpoint } from '../config.js';
import { AgentError } from '../errors.js';

/** What the control plane stored of an upload. */
export interface StoredFile {
  sha256: string;
  sizeBytes: number;
}

/** Backup files on the control plane, reached with requests the agent's key signs. */
export interface BackupTransfer {
  /** Sends the whole file; each call starts it over. Resolves with what was stored. */
  upload(backupId: string, body: NodeJS.ReadableStream, signal: AbortSignal): Promise<StoredFile>;
  /** The stored file as a stream. */
  download(backupId: string, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
}

export interface SigningIdentity {
  agentId: string;
  privateKey: KeyObject;
}

const storedFileSchema = z.object({
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  sizeBytes: z.number().int().nonnegative(),
});

/** Answers of at most this many bytes are read; a backup answer is a small JSON object. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function backupFilePath(backupId: string): string {
  return `/agent/v1/backups/${encodeURIComponent(backupId)}/file`;
}

/** `Berth-Agent <agentId>:<unix ms>:<base64 Ed25519 signature>` for one request. */
export function signRequest(
  identity: SigningIdentity,
  method: string,
  path: string,
  timeMs: number,
): string {
  const payload = requestSigningPayload(method, path, identity.agentId, timeMs);
  const signature = sign(null, payload, identity.privateKey).toString('base64');
  return `${AGENT_REQUEST_AUTH_SCHEME} ${identity.agentId}:${timeMs}:${signature}`;
}

async function readAnswer(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    text += String(chunk);
    if (text.length > MAX_ANSWER_BYTES) {
      res.destroy();
      break;
    }
  }
  return text;
}

/** The control plane's refusal, as a message that names the request. */
async function refusal(res: IncomingMessage, what: string): Promise<AgentError> {
  const text = await readAnswer(res).catch(() => '');
  let detail = `HTTP ${res.statusCode ?? '?'}`;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) detail += ` ${parsed.data.error.code}: ${parsed.data.error.message}`;
  } catch {
    // Not JSON: the status says enough.
  }
  // A gateway or an overloaded control plane may answer better on the next attempt.
  const retryable = [502, 503, 504].includes(res.statusCode ?? 0);
  return new AgentError('INTERNAL', `the control plane refused the ${what} (${detail})`, {
    retryable,
  });
}

function networkError(err: unknown, what: string): AgentError {
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError('INTERNAL', `the ${what} failed: ${message}`, {
    retryable: true,
    cause: err,
  });
}

export function createBackupTransfer(options: {
  baseUrl: URL;
  /** Read on each request, so an agent that enrolls after starting signs with its new key. */
  identity: () => Promise<SigningIdentity | null>;
  now?: () => number;
}): BackupTransfer {
  const now = options.now ?? Date.now;

  const open = async (method: 'PUT' | 'GET', backupId: string, signal: AbortSignal) => {
    const identity = await options.identity();
    if (!identity) {
      throw new AgentError('UNAUTHORIZED', 'the agent has no identity yet: it must enroll first');
    }
    const path = backupFilePath(backupId);
    const url = controlPlaneEndpoint(options.baseUrl, path);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return request(url, {
      method,
      signal,
      headers: {
        authorization: signRequest(identity, method, path, now()),
        ...(method === 'PUT' ? { 'content-type': 'application/octet-stream' } : {}),
      },
    });
  };

  const answer = (req: ReturnType<typeof httpRequest>) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });

  return {
    async upload(backupId, body, signal) {
      const req = await open('PUT', backupId, signal);
      const response = answer(req);
      // pipeline destroys the request when the body fails, and the body when the request does.
      const sent = pipeline(body, req).then(
        () => undefined,
        (err: unknown) => err,
      );
      let res: IncomingMessage;
      try {
        res = await response;
      } catch (err) {
        const cause = (await sent) ?? err;
        // The body's own failure (a failed dump, a cancel) is not the network's.
        if (signal.aborted || cause instanceof AgentError) throw cause;
        throw networkError(cause, 'upload');
      }
      if (res.statusCode !== 200) {
        const refused = await refusal(res, 'upload');
        req.destroy();
        await sent;
        throw refused;
      }
      const failed = await sent;
      if (failed !== undefined) throw networkError(failed, 'upload');
      const text = await readAnswer(res);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      const parsed = storedFileSchema.safeParse(json);
      if (!parsed.success) {
        throw new AgentError(
          'INTERNAL',
          'the control plane answered the upload without its sha256 and size',
        );
      }
      return parsed.data;
    },

    async download(backupId, signal) {
      const req = await open('GET', backupId, signal);
      req.end();
      let res: IncomingMessage;
      try {
        res = await answer(req);
      } catch (err) {
        throw networkError(err, 'download');
      }
      if (res.statusCode !== 200) throw await refusal(res, 'download');
      return res;
    },
  };
}
