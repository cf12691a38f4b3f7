import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { jobKindSchema, jobResultSchema } from '@berth/protocol';
import { writeFileAtomic } from '../atomic-write.js';

const entrySchema = z.object({
  jobId: z.string(),
  serviceId: z.string(),
  kind: jobKindSchema,
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  error: z.string().optional(),
  result: jobResultSchema.default({}),
  lastSeq: z.number().int().nonnegative().default(0),
  deploymentId: z.string().optional(),
  deploymentNumber: z.number().int().optional(),
  /** Containers of the previous release this job stopped to hand over ports; restored if it dies. */
  stoppedContainers: z.array(z.string()).default([]),
  /** The control plane confirmed it stored the outcome. */
  confirmed: z.boolean().default(false),
  updatedAt: z.string(),
});
export type JournalEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ entries: z.array(entrySchema) });

/** Finished entries kept for redelivery checks; older ones are dropped. */
const KEEP_FINISHED = 500;

/**
 * A confirmed entry as the journal keeps it: what the agent reads again (the job's service,
 * kind and status for redelivery checks and restores; its deployment and image for pruning).
 * The control plane has stored the outcome and ignores it if it comes again, so the phase
 * timeline, the error and the stopped containers go: they cost about 2 KB of memory per job,
 * up to KEEP_FINISHED jobs, and were written out again on every change of the journal.
 */
function settled(entry: JournalEntry): JournalEntry {
  const { error: _error, result, ...rest } = entry;
  return {
    ...rest,
    result: result.imageId ? { imageId: result.imageId } : {},
    stoppedContainers: [],
  };
}

/** An entry as the journal keeps it. */
function kept(entry: JournalEntry): JournalEntry {
  return entry.confirmed && entry.status !== 'running' ? settled(entry) : entry;
}

/**
 * The agent's small record of every job it accepted, so a redelivered job is
 * never run twice and a restarted agent can say what it was doing.
 */
export class Journal {
  private readonly entries = new Map<string, JournalEntry>();
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, 'journal.json');
    if (existsSync(this.file)) {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      if (parsed.success)
        for (const entry of parsed.data.entries) this.entries.set(entry.jobId, kept(entry));
    }
  }

  get(jobId: string): JournalEntry | undefined {
    return this.entries.get(jobId);
  }

  all(): JournalEntry[] {
    return [...this.entries.values()];
  }

  /** Records a change and waits until it is on disk. */
  async put(entry: JournalEntry): Promise<void> {
    this.entries.set(entry.jobId, kept(entry));
    this.trim();
    await this.save();
  }

  async update(jobId: string, patch: Partial<JournalEntry>): Promise<void> {
    const entry = this.entries.get(jobId);
    if (!entry) return;
    await this.put({ ...entry, ...patch, updatedAt: new Date().toISOString() });
  }

  private trim(): void {
    const finished = this.all().filter((e) => e.status !== 'running' && e.confirmed);
    const excess = finished.length - KEEP_FINISHED;
    if (excess <= 0) return;
    finished.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    for (const entry of finished.slice(0, excess)) this.entries.delete(entry.jobId);
  }

  private save(): Promise<void> {
    const data = JSON.stringify({ entries: this.all() });
    this.writing = this.writing.then(() => writeFileAtomic(this.file, data));
    return this.writing;
  }
}
