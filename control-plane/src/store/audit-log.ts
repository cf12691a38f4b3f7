import { createReadStream } from 'node:fs';
import { chmod, open, truncate, type FileHandle } from 'node:fs/promises';
import {
  AUDIT_DETAIL_MAX,
  AUDIT_PAGE_DEFAULT,
  matchesAuditAction,
  type AuditEntry,
  type AuditInput,
  type AuditOutcome,
} from '@berth/protocol';
import { isoTime, type Now } from '../clock.js';
import { BerthError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { CHAIN_START, chainLine, checkLine, parseEntry, seqOf } from './audit-chain.js';
import { lineStartBefore, linesBackward } from './lines-backward.js';

/** The audit log's file name inside `$BERTH_DATA_DIR`. */
export const AUDIT_FILE = 'audit.ndjson';

export type { AuditInput };

/** What `query` selects; every field is optional and they all must hold. */
export interface AuditFilter {
  /** An actor id. */
  actor?: string | undefined;
  /** A project id. */
  project?: string | undefined;
  /** An exact action, or a prefix ending in "." or "*". */
  action?: string | undefined;
  outcome?: AuditOutcome | undefined;
  /** ISO times; entries at or after `since` and at or before `until`. */
  since?: string | undefined;
  until?: string | undefined;
  /** Only entries with a lower seq. */
  before?: number | undefined;
  /** At most this many entries (default 100). */
  limit?: number | undefined;
}

export type AuditVerdict =
  { ok: true; entries: number } | { ok: false; seq: number; reason: string };

interface Pending {
  input: AuditInput;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

interface ChainState {
  seq: number;
  hash: string;
  atMs: number;
  /** Bytes of whole entries on disk: reads stop here, and a failed write is cut back to it. */
  size: number;
}

/**
 * The append-only audit log, one JSON entry per line in `$BERTH_DATA_DIR/audit.ndjson` (0600).
 * Entries are numbered and hash-chained (see audit-chain.ts). Appends are serialized; those
 * that arrive while a write is on its way go out together in the next one: one write and one
 * datasync. Reads go backwards from the end in chunks, so the newest entries cost the same
 * however long the file is; `before` bisects the file by seq.
 */
export class AuditLog {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private warnedMalformed = false;

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private state: ChainState,
    private readonly options: { now: Now; log: Logger },
  ) {}

  static async open(file: string, options: { now: Now; log: Logger }): Promise<AuditLog> {
    const handle = await open(file, 'a', 0o600);
    try {
      await chmod(file, 0o600);
      const state = await readTail(file, options.log);
      return new AuditLog(file, handle, state, options);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Records an entry; resolves once it is on disk. A failure is logged, then rejects. */
  append(input: AuditInput): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Records an entry without waiting: for callers that must not fail because the log did. */
  record(input: AuditInput): void {
    this.append(input).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      await this.write(batch);
    }
    this.flushing = null;
  }

  private async write(batch: Pending[]): Promise<void> {
    let { seq, hash, atMs } = this.state;
    const entries: AuditEntry[] = [];
    const lines: string[] = [];
    for (const { input } of batch) {
      // Time never goes back along the file, so a time range can stop reading early.
      atMs = Math.max(atMs, this.options.now());
      seq += 1;
      const chained = chainLine(entryOf(input, seq, isoTime(atMs)), hash);
      hash = chained.hash;
      lines.push(`${chained.line}\n`);
      entries.push(JSON.parse(chained.line) as AuditEntry);
    }
    const text = lines.join('');
    try {
      await this.handle.appendFile(text, 'utf8');
      await this.handle.datasync();
    } catch (err) {
      await this.handle.truncate(this.state.size).catch(() => undefined);
      this.options.log.error(
        `audit log: could not append ${batch.length} entr${batch.length === 1 ? 'y' : 'ies'} to ${this.file}: ${describeError(err)}`,
      );
      const failure = new BerthError('INTERNAL', `could not append to the audit log ${this.file}`, {
        cause: err,
      });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.state = { seq, hash, atMs, size: this.state.size + Buffer.byteLength(text) };
    batch.forEach((pending, i) => pending.resolve(entries[i]!));
  }

  /** Entries that match, newest first, reading from the end and stopping at `limit` matches. */
  async query(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    // A reader sees every entry recorded before it asked.
    while (this.flushing) await this.flushing;
    const limit = filter.limit ?? AUDIT_PAGE_DEFAULT;
    const sinceMs = filter.since === undefined ? -Infinity : Date.parse(filter.since);
    const untilMs = filter.until === undefined ? Infinity : Date.parse(filter.until);
    const found: AuditEntry[] = [];
    let malformed = 0;
    await this.withReader(async (reader) => {
      const end =
        filter.before === undefined
          ? this.state.size
          : await lineStartBefore({
              handle: reader,
              size: this.state.size,
              bound: filter.before,
              keyOf: seqOf,
            });
      for await (const { text } of linesBackward(reader, end)) {
        const entry = parseEntry(text);
        if (!entry) {
          malformed += 1;
          continue;
        }
        if (filter.before !== undefined && entry.seq >= filter.before) continue;
        const atMs = Date.parse(entry.at);
        if (atMs < sinceMs) break;
        if (atMs > untilMs || !matches(entry, filter)) continue;
        found.push(entry);
        if (found.length >= limit) break;
      }
    });
    if (malformed > 0 && !this.warnedMalformed) {
      this.warnedMalformed = true;
      this.options.log.warn(
        `audit log ${this.file}: skipped ${malformed} malformed line(s) while reading; verify() names the first break`,
      );
    }
    return found;
  }

  /** Walks the whole chain from the first line: every seq in order and every hash. */
  async verify(): Promise<AuditVerdict> {
    let expected = 1;
    let hash = CHAIN_START;
    const end = this.state.size;
    if (end === 0) return { ok: true, entries: 0 };
    const input = createReadStream(this.file, { start: 0, end: end - 1, encoding: 'utf8' });
    let rest = '';
    const check = (line: string): AuditVerdict | null => {
      const entry = parseEntry(line);
      if (!entry) return { ok: false, seq: expected, reason: 'the line is not an audit entry' };
      if (entry.seq !== expected) {
        return {
          ok: false,
          seq: expected,
          reason: `expected seq ${expected}, found ${entry.seq}: an entry was removed or moved`,
        };
      }
      const verdict = checkLine(line, hash);
      if (verdict !== 'ok') {
        return {
          ok: false,
          seq: expected,
          reason:
            verdict === 'no-hash'
              ? 'the line does not end with its hash'
              : 'the hash does not match: this entry or one before it was changed',
        };
      }
      hash = entry.hash;
      expected += 1;
      return null;
    };
    try {
      for await (const chunk of input as AsyncIterable<string>) {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          const broken = check(line);
          if (broken) return broken;
        }
      }
      const broken = rest === '' ? null : check(rest);
      if (broken) return broken;
    } finally {
      input.destroy();
    }
    return { ok: true, entries: expected - 1 };
  }

  /** Waits for the appends in flight, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  private async withReader<T>(read: (handle: FileHandle) => Promise<T>): Promise<T> {
    const reader = await open(this.file, 'r');
    try {
      return await read(reader);
    } finally {
      await reader.close();
    }
  }
}

/** The entry in the one field order every line is written in; unknown fields are dropped. */
function entryOf(input: AuditInput, seq: number, at: string): Omit<AuditEntry, 'hash'> {
  return {
    seq,
    at,
    actor: {
      type: input.actor.type,
      id: input.actor.id,
      name: input.actor.name,
      userId: input.actor.userId,
    },
    action: input.action,
    target: input.target && { type: input.target.type, id: input.target.id },
    projectId: input.projectId,
    ip: input.ip,
    outcome: input.outcome,
    status: input.status,
    detail: input.detail === undefined ? undefined : clip(input.detail, AUDIT_DETAIL_MAX),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function matches(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.actor !== undefined && entry.actor.id !== filter.actor) return false;
  if (filter.project !== undefined && entry.projectId !== filter.project) return false;
  if (filter.outcome !== undefined && entry.outcome !== filter.outcome) return false;
  return filter.action === undefined || matchesAuditAction(filter.action, entry.action);
}

/**
 * The last entry's seq and hash, read from the end of the file. A last line without its newline
 * is what a crash mid-append leaves: it is cut off, so the next entry starts clean.
 */
async function readTail(file: string, log: Logger): Promise<ChainState> {
  const reader = await open(file, 'r');
  let size: number;
  try {
    size = (await reader.stat()).size;
    let skipped = 0;
    for await (const { text, offset, end } of linesBackward(reader, size)) {
      // Lines are cut at newlines, so only an unterminated last piece reaches the end.
      if (end === size) {
        log.warn(
          `audit log ${file}: cut off a torn last line (${size - offset} bytes), left by a crash during an append`,
        );
        await truncate(file, offset);
        size = offset;
        continue;
      }
      const entry = parseEntry(text);
      if (!entry) {
        skipped += 1;
        continue;
      }
      if (skipped > 0) {
        log.warn(
          `audit log ${file}: the last ${skipped} line(s) are not entries; continuing after seq ${entry.seq}`,
        );
      }
      return { seq: entry.seq, hash: entry.hash, atMs: Date.parse(entry.at), size };
    }
    if (skipped > 0) log.warn(`audit log ${file}: none of its ${skipped} line(s) is an entry`);
    return { seq: 0, hash: CHAIN_START, atMs: -Infinity, size };
  } finally {
    await reader.close();
  }
}
