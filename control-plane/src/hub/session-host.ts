import type { AgentMessage, ErrorCode } from '@berth/protocol';
import type { Now } from '../clock.js';
import type { AgentSession } from './agent-session.js';
import type { AuthOutcome } from './authenticate.js';

type Hello = Extract<AgentMessage, { type: 'hello' }>;

/** What a session needs from the hub; the hub implements it. */
export interface SessionHost {
  now: Now;
  helloTimeoutMs: number;
  maxBadFrames: number;
  /** Most bytes one socket may have queued; a slower reader is dropped. */
  maxBufferedBytes: number;
  authenticate(hello: Hello, nonce: string): AuthOutcome;
  onAuthenticated(session: AgentSession, hello: Hello, server: { id: string; name: string }): void;
  onMessage(session: AgentSession, message: AgentMessage): void;
  onRejectedFrame(session: AgentSession, code: ErrorCode, message: string): void;
  onSocketError(session: AgentSession, err: Error): void;
  onHandlerError(session: AgentSession, err: unknown): void;
  onClosed(session: AgentSession, code: number): void;
  onSlowConsumer(session: AgentSession, bufferedBytes: number): void;
}
