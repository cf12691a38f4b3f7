import {
  CLOSE_CODES,
  challengeSigningPayload,
  type AgentMessage,
  type ErrorCode,
} from '@berth/protocol';
import type { KeyObject } from 'node:crypto';
import { verifyEd25519 } from '../crypto.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

export interface IdentityLookup {
  /** The server's parsed public key (parsed once and kept), or null when it is not enrolled. */
  publicKey(id: string): KeyObject | null;
  nameOf(id: string): string | undefined;
  isRevoked(id: string): boolean;
}

export type AuthOutcome =
  | { ok: true; server: { id: string; name: string } }
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
  const key = servers.publicKey(hello.agentId);
  const name = servers.nameOf(hello.agentId);
  if (!key || name === undefined) {
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
  return { ok: true, server: { id: hello.agentId, name } };
}
