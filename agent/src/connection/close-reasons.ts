import { CLOSE_CODES } from '@berth/protocol';
import type { SessionOutcome } from './session.js';

/** What a lost or refused connection means, in words a person can act on. */
export interface Verdict {
  /** Equal keys mean "the same failure again": logged once, not on every retry. */
  key: string;
  level: 'warn' | 'error';
  message: string;
  /** The server was deleted: retry at the cap, since only a new enrollment can help. */
  revoked: boolean;
}

export const REVOKED_MESSAGE =
  'this server was removed from the control plane; enroll again with a new join token ' +
  '(stop the agent, move BERTH_AGENT_STATE_DIR aside, start it with a new BERTH_JOIN_TOKEN)';

function said(outcome: SessionOutcome): string {
  const words = outcome.peerError?.message ?? outcome.closeReason;
  return words ? `: ${words}` : '';
}

// The agent's own check names both versions; the close reason alone is truncated.
function mismatch(outcome: SessionOutcome): string {
  if (outcome.failure?.key === 'protocol-mismatch') return outcome.failure.message;
  return outcome.peerError?.message ?? (outcome.closeReason || 'no reason given');
}

export function classifyOutcome(outcome: SessionOutcome, url: URL): Verdict {
  const verdict = (key: string, level: Verdict['level'], message: string): Verdict => ({
    key,
    level,
    message,
    revoked: false,
  });
  switch (outcome.closeCode) {
    case CLOSE_CODES.revoked:
      return { key: 'revoked', level: 'error', message: REVOKED_MESSAGE, revoked: true };
    case CLOSE_CODES.authFailed:
      return verdict(
        'auth-failed',
        'error',
        `the control plane refused this agent's identity (close ${outcome.closeCode})${said(outcome)}; ` +
          'retrying with backoff. If the server was deleted, enroll again with a new join token',
      );
    case CLOSE_CODES.protocolMismatch:
      return verdict(
        'protocol-mismatch',
        'error',
        `protocol version mismatch with the control plane: ${mismatch(outcome)}; ` +
          'retrying with backoff until one side is upgraded',
      );
    case CLOSE_CODES.replaced:
      return verdict(
        'replaced',
        'warn',
        'another connection with this identity replaced this one (close 4409); ' +
          'if this repeats, two agents share one state dir',
      );
    default:
      break;
  }
  if (outcome.failure) {
    const what = outcome.welcomed
      ? 'lost the connection to the control plane'
      : `cannot connect to the control plane at ${url.href}`;
    return verdict(
      outcome.failure.key,
      'warn',
      `${what}: ${outcome.failure.message}; reconnecting`,
    );
  }
  const closed = `close ${outcome.closeCode}${said(outcome)}`;
  if (outcome.welcomed && outcome.closeCode === 1006) {
    return verdict(
      'dropped',
      'warn',
      'the connection to the control plane dropped without a close frame; reconnecting',
    );
  }
  if (outcome.welcomed) {
    return verdict(
      `closed:${outcome.closeCode}`,
      'warn',
      `the control plane closed the connection (${closed}); reconnecting`,
    );
  }
  return verdict(
    `refused:${outcome.closeCode}`,
    'warn',
    `the control plane closed the connection during the handshake (${closed}); retrying with backoff`,
  );
}
