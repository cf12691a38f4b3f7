/// <reference lib="dom" />
import type { LogLine } from '@berth/protocol';
import { ApiError } from './api.js';

/** Where a log view fetches the lines it does not hold: `after` a seq, at most `limit`. */
export interface LogSource {
  fetch(after: number, limit: number): Promise<LogLine[]>;
}

/** Reads an NDJSON log answer; a 401 calls onSignedOut. */
export async function fetchLogLines(
  path: string,
  options: { signal?: AbortSignal; onSignedOut?: () => void } = {},
): Promise<LogLine[]> {
  const res = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/x-ndjson' },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (res.status === 401) options.onSignedOut?.();
  if (!res.ok) throw new ApiError(res.status, 'HTTP_ERROR', `GET ${path} answered ${res.status}`);
  const text = await res.text();
  const lines: LogLine[] = [];
  for (const row of text.split('\n')) if (row) lines.push(JSON.parse(row) as LogLine);
  return lines;
}

/** A deployment's stored log, a page at a time. */
export function deploymentLogSource(
  deploymentId: string,
  options: { signal?: AbortSignal; onSignedOut?: () => void },
): LogSource {
  const base = `/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs`;
  return {
    fetch: (after, limit) => fetchLogLines(`${base}?after=${after}&limit=${limit}`, options),
  };
}
