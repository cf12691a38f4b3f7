import {
  decodeAgentMessage,
  encodeLogBatch,
  type AgentMessage,
  type AgentMessageInput,
} from '@berth/protocol';
import type { LogSender } from '../logs/log-spool.js';

/**
 * A spool sender for tests: each batch is encoded as the connection sends it, decoded as
 * the control plane would, and handed to `send` as the message it became.
 */
export function decodingLogSender(
  send: (message: AgentMessageInput, bytes: number) => boolean,
): LogSender {
  return {
    sendLogBatch(jobId, lines) {
      const frame = encodeLogBatch(jobId, lines);
      const decoded = decodeAgentMessage(frame);
      if (!decoded.ok) throw new Error(`the spool sent a bad frame: ${decoded.error}`);
      return send(decoded.message as AgentMessage & AgentMessageInput, Buffer.byteLength(frame));
    },
  };
}
