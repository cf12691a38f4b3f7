import type { Deployment, Domain, DomainStatus, Source } from '@berth/protocol';
import { databaseImage } from '@berth/protocol/engines';

/** "12 s ago", "5 min ago", "3 h ago", then the date. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return absoluteTime(iso);
}

export function absoluteTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "0.8 s", "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export interface PhaseSpan {
  name: string;
  /** From the start of the first phase, in ms. */
  offsetMs: number;
  ms: number;
  running: boolean;
}

/**
 * A deployment's timeline as spans from its first phase: "queued 0.1 s, build 41 s, …".
 * A phase still running lasts until `now`.
 */
export function phaseSpans(deployment: Deployment, now = Date.now()): PhaseSpan[] {
  const [first] = deployment.phases;
  if (!first) return [];
  const origin = Date.parse(first.startedAt);
  return deployment.phases.map((phase) => {
    const start = Date.parse(phase.startedAt);
    const end = phase.finishedAt ? Date.parse(phase.finishedAt) : now;
    return {
      name: phase.name,
      offsetMs: Math.max(0, start - origin),
      ms: Math.max(0, end - start),
      running: !phase.finishedAt,
    };
  });
}

/** From the action to the outcome (or until now), queue included; null before any timeline. */
export function timelineTotal(deployment: Deployment, now = Date.now()): number | null {
  const [first] = deployment.phases;
  const start = Date.parse(first?.startedAt ?? deployment.createdAt);
  const end = deployment.finishedAt ? Date.parse(deployment.finishedAt) : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

/** What a deployment ran, in full and shortened: the commit SHA or the image digest. */
export function revisionOf(deployment: Deployment): {
  full: string;
  short: string;
  resolved: boolean;
} {
  const source = deployment.source;
  if (source.type === 'git') {
    if (source.commit)
      return { full: source.commit, short: source.commit.slice(0, 7), resolved: true };
    return { full: source.ref, short: source.ref, resolved: false };
  }
  if (source.digest) {
    const hex = source.digest.replace(/^sha256:/, '');
    return { full: source.digest, short: `sha256:${hex.slice(0, 12)}`, resolved: true };
  }
  const image = source.type === 'image' ? source.image : databaseImage(source);
  return { full: image, short: image, resolved: false };
}

export function sourceSummary(source: Source): string {
  switch (source.type) {
    case 'git':
      return `${source.repository} @ ${source.ref}`;
    case 'image':
      return source.image;
    case 'database':
      return `${source.engine} (${databaseImage(source)})`;
  }
}

export const CACHE_LABELS: Record<Deployment['cache'], string> = {
  'use-existing': 'Existing cache',
  none: 'Without cache',
};

export const TRIGGER_LABELS: Record<Deployment['trigger'], string> = {
  deploy: 'Deploy',
  redeploy: 'Redeploy',
  rollback: 'Rollback',
  push: 'Git push',
};

/** "812 B", "4.2 KB", "1.5 MB", "3.1 GB" (powers of 1024). */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * A domain's certificate for a person: "pending", "issued, expires <date>" or "failed: <reason>";
 * "HTTP only" for a domain without HTTPS. A domain the proxy has not reported yet is pending.
 */
export function certificateText(status: DomainStatus | undefined, domain: Domain): string {
  if (!domain.https) return 'HTTP only';
  if (!status || status.certificate === 'pending') return 'pending';
  if (status.certificate === 'issued') {
    return status.expiresAt ? `issued, expires ${absoluteTime(status.expiresAt)}` : 'issued';
  }
  return `failed: ${status.error ?? 'no reason given'}`;
}
