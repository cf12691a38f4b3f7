import { decodeAgentMessage, type AgentMessage, type AgentMessageInput } from '@berth/protocol';
import type { LogSender } from '../logs/log-spool.js';

/**
 * A spool sender for tests: each frame is decoded as the control plane would decode it,
 * and handed to `send` as the message it became.
 */
export function decodingLogSender(
  send: (message: AgentMessageInput, bytes: number) => boolean,
): LogSender {
  return {
    sendLogBatch(_jobId, frame) {
      const decoded = decodeAgentMessage(frame.toString('utf8'));
      if (!decoded.ok) throw new Error(`the spool sent a bad frame: ${decoded.error}`);
      return send(decoded.message as AgentMessage & AgentMessageInput, frame.length);
    },
  };
}
