import { z } from 'zod';
import { backupPhaseSchema } from '../api/backups.js';
import { domainStatusSchema, proxyStatusSchema } from '../api/domains.js';
import {
  containerLogLineSchema,
  containerStateSchema,
  dockerInfoSchema,
  errorPayloadSchema,
  heldJobSchema,
  jobResultSchema,
  logLineSchema,
  logRunSchema,
  versionString,
} from './common.js';

/** First frame after `auth.challenge`: proves the agent's identity. */
export const helloMessageSchema = z.object({
  type: z.literal('hello'),
  agentId: z.string().min(1).max(128),
  /** base64 Ed25519 signature over `challengeSigningPayload(nonce, agentId)`. */
  signature: z.string().min(1).max(256),
  protocolVersion: versionString,
  agentVersion: versionString,
  docker: dockerInfoSchema,
  jobs: z.array(heldJobSchema).max(1000).default([]),
});

export const heartbeatMessageSchema = z.object({
  type: z.literal('heartbeat'),
  sentAt: z.string(),
  docker: dockerInfoSchema,
  runningJobs: z.number().int().nonnegative().default(0),
});

export const jobAcceptMessageSchema = z.object({
  type: z.literal('job.accept'),
  jobId: z.string().min(1),
});

export const jobStatusMessageSchema = z.object({
  type: z.literal('job.status'),
  jobId: z.string().min(1),
  deploymentStatus: z.enum(['building', 'deploying']).optional(),
  result: jobResultSchema.optional(),
});

export const jobFinishedMessageSchema = z.object({
  type: z.literal('job.finished'),
  jobId: z.string().min(1),
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  error: z.string().max(4096).optional(),
  result: jobResultSchema.default({}),
  /** The highest log sequence number of this job, so the control plane knows the log is whole. */
  lastSeq: z.number().int().nonnegative().default(0),
});

export const logBatchMessageSchema = z.object({
  type: z.literal('log.batch'),
  jobId: z.string().min(1),
  lines: z.array(logLineSchema).min(1).max(5000),
});

/**
 * A job's log lines in runs (see logRunSchema): the agent's way to send its log from
 * protocol 1.3 on. The control plane stores each run as it comes, so a line costs it no
 * decoding of its own. Acknowledged with `log.ack` like `log.batch`.
 */
export const logRunsMessageSchema = z.object({
  type: z.literal('log.runs'),
  jobId: z.string().min(1),
  runs: z.array(logRunSchema).min(1).max(5000),
});

/** Live progress of a backup or restore; not resent, the next one replaces it. */
export const backupProgressMessageSchema = z.object({
  type: z.literal('backup.progress'),
  jobId: z.string().min(1),
  backupId: z.string().min(1),
  phase: backupPhaseSchema,
  bytes: z.number().int().nonnegative(),
  bytesPerSecond: z.number().nonnegative(),
});

export const stateReportMessageSchema = z.object({
  type: z.literal('state.report'),
  /** true when this lists every Berth container on the node, false for a single change. */
  full: z.boolean(),
  containers: z.array(containerStateSchema).max(10_000),
  /** On full reports: ids of the deployment images still kept on the node (for rollbacks). */
  imageIds: z.array(z.string()).max(100_000).optional(),
});

/** Output of a service's running container, answering `container.logs`. */
export const containerLogsLinesMessageSchema = z.object({
  type: z.literal('container.logs.lines'),
  requestId: z.string().min(1).max(128),
  lines: z.array(containerLogLineSchema).max(5000),
  /** The stream ended: the container stopped, or it was not following. */
  done: z.boolean().default(false),
  error: z.string().max(4096).optional(),
});

/**
 * The proxy and the certificates of the domains it serves, sent when either changes (and after
 * each `proxy.sync`). Added in protocol 1.2.
 */
export const proxyStatusMessageSchema = z.object({
  type: z.literal('proxy.status'),
  proxy: proxyStatusSchema,
  domains: z.array(domainStatusSchema.extend({ serviceId: z.string().min(1) })).max(10_000),
});

export const agentErrorMessageSchema = errorPayloadSchema.extend({ type: z.literal('error') });

export const agentMessageSchema = z.discriminatedUnion('type', [
  helloMessageSchema,
  heartbeatMessageSchema,
  jobAcceptMessageSchema,
  jobStatusMessageSchema,
  jobFinishedMessageSchema,
  logBatchMessageSchema,
  logRunsMessageSchema,
  stateReportMessageSchema,
  containerLogsLinesMessageSchema,
  backupProgressMessageSchema,
  proxyStatusMessageSchema,
  agentErrorMessageSchema,
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type AgentMessageInput = z.input<typeof agentMessageSchema>;
