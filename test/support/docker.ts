import { execFileSync } from 'node:child_process';

function engineVersion(): string | null {
  try {
    return execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** The Docker engine's version, computed once per test file. */
export const DOCKER_VERSION = engineVersion();

/**
 * Whether tests that need Docker can run. Under CI=true a missing engine is a
 * failure, never a skip; elsewhere the skip is announced loudly.
 */
export function dockerOrSkip(): boolean {
  if (DOCKER_VERSION) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      'CI=true but no Docker engine answers: tests that need Docker cannot be skipped in CI',
    );
  }
  console.warn(
    '\n!!! No Docker engine answers: tests that need Docker are SKIPPED on this machine !!!\n',
  );
  return false;
}
