import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AgentIdentity } from '../connection/identity.js';

/** A fresh identity and the base64 SPKI public key a control plane would have stored. */
export function createTestIdentity(agentId = 'srv_test'): {
  identity: AgentIdentity;
  publicKey: string;
} {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
  return { identity: { agentId, name: 'node-1', privateKey }, publicKey };
}
