import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Counter } from '../metrics/registry.js';
import type { AgentSession, SessionHost } from './agent-session.js';

type Warnings = Pick<
  SessionHost,
  'onRejectedFrame' | 'onSocketError' | 'onHandlerError' | 'onSlowConsumer'
>;

/** What is logged and counted when a session's frames or socket go wrong. */
export function sessionWarnings(options: {
  log: Logger;
  framesRejected: Counter;
  maxBufferedBytes: number;
}): Warnings {
  const { log, framesRejected, maxBufferedBytes } = options;
  return {
    onRejectedFrame: (session, code, message) => {
      framesRejected.inc({ code });
      log.warn(`${describeSession(session)}: refused frame (${code}): ${message.slice(0, 300)}`);
    },
    onSocketError: (session, err) => {
      if ((err as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        framesRejected.inc({ code: 'FRAME_TOO_LARGE' });
      log.warn(`${describeSession(session)}: socket error: ${describeError(err)}`);
    },
    onHandlerError: (session, err) =>
      log.error(`${describeSession(session)}: frame handler failed: ${describeError(err)}`),
    onSlowConsumer: (session, bufferedBytes) =>
      log.warn(
        `${describeSession(session)} dropped: it reads too slowly (${bufferedBytes} bytes ` +
          `waiting, limit ${maxBufferedBytes}); it will reconnect and be sent what it missed`,
      ),
  };
}

export function describeSession(session: AgentSession): string {
  return session.serverId === null ? 'unauthenticated agent' : `agent ${session.serverId}`;
}
