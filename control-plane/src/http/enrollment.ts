import {
  AGENT_PATHS,
  PROTOCOL_VERSION,
  checkProtocolCompatibility,
  enrollRequestSchema,
  type EnrollResponse,
  type ErrorCode,
} from '@berth/protocol';
import { Hono } from 'hono';
import { newId, parseEd25519PublicKey, sha256Hex } from '../crypto.js';
import { BerthError } from '../errors.js';
import type { RedeemFailure } from '../store/join-tokens.js';
import { invalidFields, readBody } from './body.js';
import type { AppDeps } from './deps.js';

const TOKEN_FAILURES: Record<RedeemFailure, { code: ErrorCode; message: string }> = {
  invalid: {
    code: 'JOIN_TOKEN_INVALID',
    message: 'this join token is not known; create one with POST /api/v1/join-tokens',
  },
  used: {
    code: 'JOIN_TOKEN_USED',
    message:
      'this join token was already used; each token enrolls one server, create a new one with POST /api/v1/join-tokens',
  },
  expired: {
    code: 'JOIN_TOKEN_EXPIRED',
    message: 'this join token has expired; create a new one with POST /api/v1/join-tokens',
  },
};

/** `POST /agent/v1/enroll`: a one-time join token buys a server identity bound to a public key. */
export function enrollmentRoutes(deps: AppDeps): Hono {
  const app = new Hono();

  app.post(AGENT_PATHS.enroll, async (c) => {
    const body = await readBody(c, enrollRequestSchema);
    if (!parseEd25519PublicKey(body.publicKey)) {
      throw invalidFields([
        { path: 'publicKey', message: 'must be an Ed25519 public key, base64 DER (SPKI)' },
      ]);
    }
    const compatibility = checkProtocolCompatibility(
      PROTOCOL_VERSION,
      body.protocolVersion,
      'agent',
    );
    if (!compatibility.compatible) {
      throw new BerthError('PROTOCOL_MISMATCH', compatibility.reason ?? 'protocol mismatch', {
        status: 400,
      });
    }
    const result = await deps.store.servers.enroll({
      id: newId('srv'),
      tokenHash: sha256Hex(body.joinToken),
      name: body.name,
      publicKey: body.publicKey,
      agentVersion: body.agentVersion,
    });
    if (!result.ok) {
      const failure = TOKEN_FAILURES[result.reason];
      throw new BerthError(failure.code, failure.message);
    }
    deps.log.info(`server ${result.server.id} (${result.server.name}) enrolled`);
    const answer: EnrollResponse = { agentId: result.server.id, name: result.server.name };
    return c.json(answer, 201);
  });

  return app;
}
