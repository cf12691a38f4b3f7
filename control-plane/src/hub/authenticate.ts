import {
  CLOSE_CODES,
  challengeSigningPayload,
  type AgentMessage,
  type ErrorCode,
} from '@berth/protocol';
import { parseEd25519PublicKey, verifyEd25519 } from '../crypto.js';
import type { ServerRecord } from '../store/records.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

export interface IdentityLookup {
  get(id: string): ServerRecord | undefined;
  isRevoked(id: string): boolean;
}

export type AuthOutcome =
  | { ok: true; server: ServerRecord }
  | { ok: false; closeCode: number; errorCode: ErrorCode; message: string };

/** Checks that the hello is signed by the key the server enrolled with. */
export function authenticateHello(
  servers: IdentityLookup,
  hello: Hello,
  nonce: string,
): AuthOutcome {
  if (servers.isRevoked(hello.agentId)) {
    return {
      ok: false,
      closeCode: CLOSE_CODES.revoked,
      errorCode: 'SERVER_REVOKED',
      message: `server ${hello.agentId} was deleted; enroll this agent again with a new join token`,
    };
  }
  const server = servers.get(hello.agentId);
  const key = server ? parseEd25519PublicKey(server.publicKey) : null;
  if (!server || !key) {
    return {
      ok: false,
      closeCode: CLOSE_CODES.authFailed,
      errorCode: 'AUTH_FAILED',
      message: `unknown agent identity ${hello.agentId}; enroll with a new join token`,
    };
  }
  if (!verifyEd25519(key, challengeSigningPayload(nonce, hello.agentId), hello.signature)) {
    return {
      ok: false,
      closeCode: CLOSE_CODES.authFailed,
      errorCode: 'AUTH_FAILED',
      message: `the signature does not match the key server ${hello.agentId} enrolled with`,
    };
  }
  return { ok: true, server };
}
