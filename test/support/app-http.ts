import { waitFor } from './wait.js';

/** GET of what the app serves on its host port, or null when nothing answers with 2xx. */
export async function fetchApp(port: number, path = '/'): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    const text = await res.text();
    return res.ok ? text.trim() : null;
  } catch {
    return null;
  }
}

/**
 * Waits until the app on the host port answers `expected` (trimmed). Short by
 * default: a release that has finished must already be serving.
 */
export async function expectServes(
  port: number,
  expected: string,
  options: { path?: string; timeoutMs?: number } = {},
): Promise<void> {
  let last: string | null = null;
  try {
    await waitFor(
      `127.0.0.1:${port}${options.path ?? '/'} to serve ${JSON.stringify(expected)}`,
      async () => {
        last = await fetchApp(port, options.path);
        return last === expected;
      },
      { timeoutMs: options.timeoutMs ?? 5_000, intervalMs: 100 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; it last answered ${JSON.stringify(last)}`);
  }
}

/** Waits until nothing answers on the host port. */
export async function expectNoAnswer(port: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `127.0.0.1:${port} to stop answering`,
    async () => (await fetchApp(port)) === null,
    { timeoutMs, intervalMs: 200 },
  );
}
