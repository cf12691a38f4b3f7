import { z } from 'zod';
import { nameSchema } from './validators.js';

/** `POST /agent/v1/enroll`: trade a one-time join token for a server identity. */
export const enrollRequestSchema = z.object({
  joinToken: z.string().min(1).max(256),
  name: nameSchema,
  /** The agent's Ed25519 public key, base64 DER (SPKI). The private key never leaves the node. */
  publicKey: z.string().min(1).max(1024),
  agentVersion: z.string().min(1).max(64),
  protocolVersion: z.string().min(1).max(64),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.object({
  agentId: z.string(),
  name: z.string(),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export const AGENT_PATHS = {
  enroll: '/agent/v1/enroll',
  connect: '/agent/v1/connect',
} as const;
