import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { AgentMessageInput, BackupPhase } from '@berth/protocol';

/** At most this often a backup's progress goes to the control plane, in ms. */
export const PROGRESS_INTERVAL_MS = 500;

/**
 * Hashes (sha256) and counts the bytes that pass through. `beforeEnd` may hold the end of
 * the stream back, e.g. until the dump's exit status says the bytes are whole.
 */
export class HashMeter extends Transform {
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #digest: string | undefined;

  constructor(
    private readonly onBytes: (bytes: number) => void = () => undefined,
    private readonly beforeEnd?: (meter: HashMeter) => Promise<void>,
  ) {
    super();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The sha256 (hex) of everything that passed, once the stream ended. */
  get sha256(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    this.onBytes(this.#bytes);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.beforeEnd) return callback();
    this.beforeEnd(this).then(
      () => callback(),
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** Sends `backup.progress` for one backup, no more than every PROGRESS_INTERVAL_MS. */
export class ProgressReporter {
  #phase: BackupPhase | undefined;
  #phaseStartedAt = 0;
  #lastSentAt = -Infinity;

  constructor(
    private readonly options: {
      jobId: string;
      backupId: string;
      send: (message: AgentMessageInput) => boolean;
      now: () => number;
    },
  ) {}

  /** A new phase is sent at once; within a phase, at most every PROGRESS_INTERVAL_MS. */
  update(phase: BackupPhase, bytes: number, force = false): void {
    const now = this.options.now();
    const changed = phase !== this.#phase;
    if (changed) {
      this.#phase = phase;
      this.#phaseStartedAt = now;
    }
    if (!changed && !force && now - this.#lastSentAt < PROGRESS_INTERVAL_MS) return;
    this.#lastSentAt = now;
    const seconds = (now - this.#phaseStartedAt) / 1000;
    this.options.send({
      type: 'backup.progress',
      jobId: this.options.jobId,
      backupId: this.options.backupId,
      phase,
      bytes,
      bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0,
    });
  }
}
