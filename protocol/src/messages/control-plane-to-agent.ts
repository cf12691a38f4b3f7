import { z } from 'zod';
import {
  errorPayloadSchema,
  jobSpecSchema,
  proxyRouteSchema,
  proxySettingsSchema,
  versionString,
} from './common.js';

/** Sent as soon as the socket opens; the agent must sign the nonce. */
export const authChallengeMessageSchema = z.object({
  type: z.literal('auth.challenge'),
  nonce: z.string().min(16).max(256),
  protocolVersion: versionString,
});

/** Sent once the agent has proven its identity. Carries the timing the control plane sets. */
export const welcomeMessageSchema = z.object({
  type: z.literal('welcome'),
  serverId: z.string(),
  name: z.string(),
  protocolVersion: versionString,
  controlPlaneVersion: versionString,
  heartbeatIntervalMs: z.number().int().positive(),
  livenessTimeoutMs: z.number().int().positive(),
  maxFrameBytes: z.number().int().positive(),
});

/**
 * Admission is paced: instead of a challenge, the control plane may answer a new socket with this
 * and close it (1013). The agent connects again after `afterMs`, without counting a failure.
 * Added in protocol 1.1; a 1.0 agent sees an unknown type and falls back to its backoff.
 */
export const connectRetryMessageSchema = z.object({
  type: z.literal('connect.retry'),
  afterMs: z.number().int().min(0).max(600_000),
  reason: z.string().max(300).default(''),
});

export const heartbeatAckMessageSchema = z.object({
  type: z.literal('heartbeat.ack'),
  sentAt: z.string(),
});

export const jobAssignMessageSchema = z.object({
  type: z.literal('job.assign'),
  job: jobSpecSchema,
});

export const jobCancelMessageSchema = z.object({
  type: z.literal('job.cancel'),
  jobId: z.string().min(1),
});

/** The control plane stored a job's outcome; the agent may stop resending `job.finished`. */
export const jobAckMessageSchema = z.object({
  type: z.literal('job.ack'),
  jobId: z.string().min(1),
});

/** Asks for the output of a service's current container. */
export const containerLogsMessageSchema = z.object({
  type: z.literal('container.logs'),
  requestId: z.string().min(1).max(128),
  serviceId: z.string().min(1),
  tail: z.number().int().min(0).max(10_000),
  follow: z.boolean(),
});

export const containerLogsStopMessageSchema = z.object({
  type: z.literal('container.logs.stop'),
  requestId: z.string().min(1).max(128),
});

export const logAckMessageSchema = z.object({
  type: z.literal('log.ack'),
  jobId: z.string().min(1),
  /** Every line up to and including this sequence number is stored. */
  seq: z.number().int().nonnegative(),
});

/**
 * Everything the server's proxy should route: the whole desired state, sent after `welcome` and
 * again whenever a domain or a proxy setting changes. Added in protocol 1.2.
 */
export const proxySyncMessageSchema = z.object({
  type: z.literal('proxy.sync'),
  settings: proxySettingsSchema,
  routes: z.array(proxyRouteSchema).max(10_000),
});

export const controlPlaneErrorMessageSchema = errorPayloadSchema.extend({
  type: z.literal('error'),
});

export const controlPlaneMessageSchema = z.discriminatedUnion('type', [
  authChallengeMessageSchema,
  connectRetryMessageSchema,
  welcomeMessageSchema,
  heartbeatAckMessageSchema,
  jobAssignMessageSchema,
  jobCancelMessageSchema,
  jobAckMessageSchema,
  logAckMessageSchema,
  containerLogsMessageSchema,
  containerLogsStopMessageSchema,
  proxySyncMessageSchema,
  controlPlaneErrorMessageSchema,
]);
export type ControlPlaneMessage = z.infer<typeof controlPlaneMessageSchema>;
export type ControlPlaneMessageInput = z.input<typeof controlPlaneMessageSchema>;
