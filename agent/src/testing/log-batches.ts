import {
  decodeAgentMessage,
  runLines,
  type AgentMessage,
  type AgentMessageInput,
} from '@berth/protocol';
import type { LogSender } from '../logs/log-spool.js';

/**
 * A spool sender for tests: each frame is decoded as the control plane would decode it, and
 * handed to `send` with its runs spread into lines, as the `log.batch` of those lines, so a
 * test reads lines whatever runs they came in.
 */
export function decodingLogSender(
  send: (message: AgentMessageInput, bytes: number) => boolean,
): LogSender {
  return {
    sendLogRuns(_jobId, frame) {
      const decoded = decodeAgentMessage(frame.toString('utf8'));
      if (!decoded.ok) throw new Error(`the spool sent a bad frame: ${decoded.error}`);
      const message = decoded.message as AgentMessage & AgentMessageInput;
      if (message.type !== 'log.runs') throw new Error(`the spool sent a ${message.type} frame`);
      const lines = message.runs.flatMap(runLines);
      return send({ type: 'log.batch', jobId: message.jobId, lines }, frame.length);
    },
  };
}
