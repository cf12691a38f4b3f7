// Small helpers for the figures: percentiles, sizes on disk, and markdown tables.
import { readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Memory {
  rssMb: number;
  /** Anonymous memory: the JavaScript heap and native allocations. */
  anonMb: number;
  /** File-backed pages: the node binary and LMDB's memory map; the kernel can drop them. */
  fileMb: number;
  /** Highest RSS so far. */
  peakMb: number;
}

/** A process's memory from /proc/<pid>/status. */
export function readMemory(pid: number | 'self'): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { rssMb: mb('VmRSS'), anonMb: mb('RssAnon'), fileMb: mb('RssFile'), peakMb: mb('VmHWM') };
}

/** Nearest-rank percentile, `p` from 0 to 1. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? NaN;
}

/** Bytes under `path`: apparent sizes (as `du -sb`) and allocated blocks (as `du -s`). */
export async function diskUsage(path: string): Promise<{ apparent: number; allocated: number }> {
  const info = await lstat(path);
  let apparent = info.size;
  let allocated = info.blocks * 512;
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) {
      const inner = await diskUsage(join(path, entry));
      apparent += inner.apparent;
      allocated += inner.allocated;
    }
  }
  return { apparent, allocated };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

export function formatMb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

export function formatCount(n: number): string {
  return n >= 1_000_000 && n % 1_000_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1_000 && n % 1_000 === 0
      ? `${n / 1_000}k`
      : String(n);
}

/** A markdown table with padded columns. */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, col) =>
    Math.max(h.length, ...rows.map((r) => (r[col] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}
