import { describe, expect, it } from 'vitest';
import { AgentError, describeError, isRetryable } from './errors.js';

describe('isRetryable', () => {
  it('follows the flag of an AgentError', () => {
    expect(
      isRetryable(new AgentError('UNREACHABLE', 'control plane busy', { retryable: true })),
    ).toBe(true);
    expect(isRetryable(new AgentError('JOIN_TOKEN_USED', 'token used'))).toBe(false);
  });

  it('retries network failures, including fetch errors that wrap them', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(isRetryable(refused)).toBe(true);
    expect(isRetryable(new TypeError('fetch failed', { cause: refused }))).toBe(true);
  });

  it('does not retry programming errors or unknown values', () => {
    expect(isRetryable(new TypeError('x is not a function'))).toBe(false);
    expect(isRetryable('boom')).toBe(false);
  });
});

describe('describeError', () => {
  it('joins the causes into one line', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const wrapped = new TypeError('fetch failed', { cause: refused });
    expect(describeError(wrapped)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    const agentError = new AgentError('UNREACHABLE', 'cannot reach the control plane', {
      cause: wrapped,
    });
    expect(describeError(agentError)).toBe(
      'cannot reach the control plane: fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});
