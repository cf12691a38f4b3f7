import WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  decodeControlPlaneMessage,
  type AgentMessageInput,
  type ControlPlaneMessage,
  type HeldJob,
  type JobResult,
  type JobSpec,
  type LogLine,
} from '@berth/protocol';
import type { ControlPlane } from './processes.js';
import { RawSocket, type BareIdentity } from './raw-agent.js';
import { sleep } from './wait.js';

type Outcome = 'succeeded' | 'failed' | 'cancelled';

/** What the fake agent knows of one job, kept for the whole test like a journal that never forgets. */
export interface FakeJob {
  spec: JobSpec;
  status: 'running' | Outcome;
  error?: string;
  result?: JobResult;
  lines: LogLine[];
  /** Every line up to this sequence number is stored (`log.ack`). */
  ackedSeq: number;
  /** The control plane stored the outcome (`job.ack`). */
  confirmed: boolean;
  /** How many times `job.assign` arrived for this id. */
  assigned: number;
  timer?: NodeJS.Timeout;
}

export interface ProtocolAgentOptions {
  /** How long a job runs before it finishes, in milliseconds; asked once per job. */
  jobMs: () => number;
  /** Lines each job prints, sent in one `log.batch` when it starts (2 by default). */
  linesPerJob?: number;
  /** Wait between connection attempts, in milliseconds (100 by default). */
  reconnectMs?: number;
  /** Heartbeat interval, in milliseconds (500 by default). */
  heartbeatMs?: number;
  /**
   * Runs a job that needs more than an outcome (a backup's upload, a published port) instead
   * of the timer; null leaves the job to the timer.
   */
  runJob?: (
    spec: JobSpec,
    send: (message: AgentMessageInput) => boolean,
  ) => Promise<ScriptedOutcome> | null;
}

/** How a job run by `runJob` ended. */
export interface ScriptedOutcome {
  status: Outcome;
  error?: string;
  result?: JobResult;
}

/**
 * An agent without Docker that speaks the real protocol over {@link RawSocket}:
 * it reconnects with the same identity whenever its socket drops, reports the
 * jobs it holds in `hello`, runs each job id once, answers `job.assign` with
 * `job.accept`, a `log.batch` and, a moment later, `job.finished`, honours
 * `job.cancel`, and resends unacknowledged lines and outcomes after a reconnect.
 */
export class ProtocolAgent {
  readonly jobs = new Map<string, FakeJob>();
  /** Sessions that reached `welcome`. */
  welcomes = 0;
  /** Frames from the control plane that did not validate; should stay empty. */
  readonly badFrames: string[] = [];
  /** `error` frames the control plane sent. */
  readonly errors: Extract<ControlPlaneMessage, { type: 'error' }>[] = [];
  /** How the last socket closed, for failure messages. */
  lastClose: { code: number; reason: string } | null = null;
  #socket: RawSocket | null = null;
  #welcomed = false;
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(
    private readonly cp: Pick<ControlPlane, 'url'>,
    private readonly identity: BareIdentity,
    private readonly options: ProtocolAgentOptions,
  ) {}

  /** Whether the current socket is open and welcomed. */
  get connected(): boolean {
    return this.#welcomed && this.#socket?.ws.readyState === WebSocket.OPEN;
  }

  /** Ids of the jobs it is running now. */
  runningJobIds(): string[] {
    return [...this.jobs.values()].filter((j) => j.status === 'running').map((j) => j.spec.jobId);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.#socket?.ws.terminate();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#session();
      if (!this.#stopped) await sleep(this.options.reconnectMs ?? 100);
    }
  }

  /** One socket, from connect to close. */
  async #session(): Promise<void> {
    const socket = new RawSocket(this.cp);
    this.#socket = socket;
    const closed = new Promise<void>((resolve) => socket.ws.once('close', () => resolve()));
    socket.ws.on('message', (data: Buffer) => this.#onFrame(socket, data.toString('utf8')));
    const heartbeat = setInterval(
      () =>
        this.#send({
          type: 'heartbeat',
          sentAt: new Date().toISOString(),
          docker: null,
          runningJobs: this.runningJobIds().length,
        }),
      this.options.heartbeatMs ?? 500,
    );
    try {
      await socket.opened.catch(() => undefined);
      await closed;
      this.lastClose = socket.closed;
    } finally {
      clearInterval(heartbeat);
      if (this.#socket === socket) {
        this.#socket = null;
        this.#welcomed = false;
      }
    }
  }

  #onFrame(socket: RawSocket, text: string): void {
    const decoded = decodeControlPlaneMessage(text);
    if (!decoded.ok) {
      this.badFrames.push(`${decoded.error}: ${text.slice(0, 200)}`);
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'auth.challenge':
        socket.hello(this.identity, PROTOCOL_VERSION, this.#held());
        return;
      case 'welcome':
        this.#welcomed = true;
        this.welcomes += 1;
        this.#resend();
        return;
      case 'job.assign':
        this.#assign(message.job);
        return;
      case 'job.cancel':
        this.#finish(message.jobId, 'cancelled', 'cancelled by a user');
        return;
      case 'job.ack': {
        const job = this.jobs.get(message.jobId);
        if (job && job.status !== 'running') job.confirmed = true;
        return;
      }
      case 'log.ack': {
        const job = this.jobs.get(message.jobId);
        if (job) job.ackedSeq = Math.max(job.ackedSeq, message.seq);
        return;
      }
      case 'proxy.sync':
        // This stand-in runs no proxy: it routes nothing and reports nothing.
        return;
      case 'container.logs':
        this.#send({
          type: 'container.logs.lines',
          requestId: message.requestId,
          lines: [],
          done: true,
        });
        return;
      case 'error':
        this.errors.push(message);
        return;
      case 'heartbeat.ack':
      case 'container.logs.stop':
      case 'connect.retry':
        return;
    }
  }

  /** Sends on the welcomed socket; false when there is none, and the caller resends later. */
  #send(message: AgentMessageInput): boolean {
    if (!this.connected) return false;
    this.#socket!.send(JSON.stringify(message));
    return true;
  }

  /** What `hello` reports: jobs still running, and outcomes not yet stored. */
  #held(): HeldJob[] {
    return [...this.jobs.values()]
      .filter((j) => j.status === 'running' || !j.confirmed)
      .map((j) => ({ jobId: j.spec.jobId, status: j.status }));
  }

  #assign(spec: JobSpec): void {
    const known = this.jobs.get(spec.jobId);
    if (known) {
      // Delivered again: never run twice, just say where it is.
      known.assigned += 1;
      if (known.status === 'running') this.#send({ type: 'job.accept', jobId: spec.jobId });
      else this.#sendFinished(known);
      return;
    }
    const ts = new Date().toISOString();
    const lines = Array.from({ length: this.options.linesPerJob ?? 2 }, (_, i) => ({
      seq: i + 1,
      ts,
      stream: 'system' as const,
      text: `fake agent: step ${i + 1} of ${spec.kind} job ${spec.jobId}`,
    }));
    const job: FakeJob = {
      spec,
      status: 'running',
      lines,
      ackedSeq: 0,
      confirmed: false,
      assigned: 1,
    };
    this.jobs.set(spec.jobId, job);
    this.#send({ type: 'job.accept', jobId: spec.jobId });
    if (spec.kind === 'deploy') {
      this.#send({ type: 'job.status', jobId: spec.jobId, deploymentStatus: 'building' });
    }
    if (lines.length > 0) this.#send({ type: 'log.batch', jobId: spec.jobId, lines });
    const run = this.options.runJob?.(spec, (message) => this.#send(message));
    if (run) {
      run.then(
        (outcome) => this.#finish(spec.jobId, outcome.status, outcome.error, outcome.result),
        (err: unknown) => this.#finish(spec.jobId, 'failed', String(err)),
      );
      return;
    }
    job.timer = setTimeout(() => this.#finish(spec.jobId, 'succeeded'), this.options.jobMs());
  }

  #finish(jobId: string, status: Outcome, error?: string, result?: JobResult): void {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'running') return;
    clearTimeout(job.timer);
    job.status = status;
    if (error) job.error = error;
    if (result) job.result = result;
    this.#sendFinished(job);
  }

  #sendFinished(job: FakeJob): void {
    if (job.status === 'running') return;
    this.#send({
      type: 'job.finished',
      jobId: job.spec.jobId,
      status: job.status,
      ...(job.error ? { error: job.error } : {}),
      result: job.result ?? {},
      lastSeq: job.lines.length,
    });
  }

  /** After a welcome: lines not yet stored, then outcomes not yet stored. */
  #resend(): void {
    for (const job of this.jobs.values()) {
      const unacked = job.lines.filter((l) => l.seq > job.ackedSeq);
      if (unacked.length > 0)
        this.#send({ type: 'log.batch', jobId: job.spec.jobId, lines: unacked });
    }
    for (const job of this.jobs.values()) {
      if (job.status !== 'running' && !job.confirmed) this.#sendFinished(job);
    }
  }
}
