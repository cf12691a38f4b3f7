import { createHash } from 'node:crypto';
import { auditEntrySchema, type AuditEntry } from '@berth/protocol';

/** The hash of the entry before the first one. */
export const CHAIN_START = '';

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

/**
 * An entry's line: its JSON text without `hash`, then `hash` as the last member, where hash is
 * sha256(previous hash + that text). Hashing the text as written, not a re-serialization, makes
 * any change to the line's bytes show.
 */
export function chainLine(
  entry: Omit<AuditEntry, 'hash'>,
  previousHash: string,
): { line: string; hash: string } {
  const body = JSON.stringify(entry);
  const hash = sha256Hex(previousHash + body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}`, hash };
}

/** Whether a line carries the hash of its own text chained after `previousHash`. */
export function checkLine(line: string, previousHash: string): 'ok' | 'no-hash' | 'mismatch' {
  const match = HASH_SUFFIX.exec(line);
  if (!match) return 'no-hash';
  const body = `${line.slice(0, match.index)}}`;
  return sha256Hex(previousHash + body) === match[1] ? 'ok' : 'mismatch';
}

/** A stored line as an entry, or null when it is not one (torn, edited into nonsense). */
export function parseEntry(line: string): AuditEntry | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = auditEntrySchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** A line's seq, read without validating the rest; null when the line is not JSON with one. */
export function seqOf(line: string): number | null {
  try {
    const seq = (JSON.parse(line) as { seq?: unknown }).seq;
    return typeof seq === 'number' ? seq : null;
  } catch {
    return null;
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
