import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import {
  BERTH_VERSION,
  PROTOCOL_VERSION,
  challengeSigningPayload,
  type HeldJob,
} from '@berth/protocol';
import { createJoinToken } from './api.js';
import type { ControlPlane } from './processes.js';

export interface BareIdentity {
  agentId: string;
  privateKey: KeyObject;
}

/** Enrolls a server through the HTTP endpoint alone, without running an agent. */
export async function enrollBareServer(cp: ControlPlane, name = 'bare'): Promise<BareIdentity> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const res = await fetch(`${cp.url}/agent/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      joinToken: await createJoinToken(cp),
      name,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      agentVersion: BERTH_VERSION,
      protocolVersion: PROTOCOL_VERSION,
    }),
  });
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${await res.text()}`);
  const { agentId } = (await res.json()) as { agentId: string };
  return { agentId, privateKey };
}

/** A hand-driven WebSocket to the control plane that records every frame and the close. */
export class RawSocket {
  readonly frames: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(cp: Pick<ControlPlane, 'url'>) {
    this.ws = new WebSocket(`${cp.url.replace(/^http/, 'ws')}/agent/v1/connect`);
    this.ws.on('message', (data) => {
      try {
        this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        this.frames.push({ unparsable: data.toString() });
      }
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.frames.filter((f) => f.type === type);
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  /**
   * Answers the challenge as the given identity, reporting the jobs it holds,
   * optionally lying about the protocol version.
   */
  hello(identity: BareIdentity, protocolVersion = PROTOCOL_VERSION, jobs: HeldJob[] = []): void {
    const challenge = this.ofType('auth.challenge')[0];
    if (!challenge) throw new Error('no auth.challenge received yet');
    const signature = sign(
      null,
      challengeSigningPayload(String(challenge.nonce), identity.agentId),
      identity.privateKey,
    );
    this.send(
      JSON.stringify({
        type: 'hello',
        agentId: identity.agentId,
        signature: signature.toString('base64'),
        protocolVersion,
        agentVersion: BERTH_VERSION,
        docker: null,
        jobs,
        someFutureField: { tolerated: true },
      }),
    );
  }
}
