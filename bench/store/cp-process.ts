// The real control plane (control-plane/dist/main.js) as a child process, on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readMemory, type Memory } from './figures.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 5;

export class ControlPlaneProcess {
  readonly url: string;
  readonly token: string;
  output = '';
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(child: ChildProcess, url: string, token: string) {
    this.#child = child;
    this.url = url;
    this.token = token;
    // Only the tail: a large fleet logs every connect.
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-65_536);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns it and waits for the first 200 from /healthz; resolves with the time that took. */
  static async start(options: {
    dataDir: string;
    port: number;
    token: string;
    /** Node options before the script, e.g. `--cpu-prof`. */
    nodeArgs?: string[];
    /** More environment variables for the control plane. */
    env?: Record<string, string>;
    /** Called with the new process's PID before it is ready, e.g. to raise its limits. */
    onSpawn?: (pid: number) => void;
  }): Promise<{ cp: ControlPlaneProcess; readyMs: number }> {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), join(REPO_ROOT, 'control-plane/dist/main.js')],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          BERTH_DATA_DIR: options.dataDir,
          BERTH_PORT: String(options.port),
          BERTH_HOST: '127.0.0.1',
          BERTH_ADMIN_TOKEN: options.token,
          BERTH_RESTART_GRACE_MS: '3600000',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const cp = new ControlPlaneProcess(child, `http://127.0.0.1:${options.port}`, options.token);
    for (;;) {
      if (!cp.alive) throw new Error(`the control plane exited while starting:\n${cp.output}`);
      if (performance.now() - started > START_TIMEOUT_MS) {
        await cp.stop();
        throw new Error(`the control plane did not answer /healthz within ${START_TIMEOUT_MS} ms`);
      }
      try {
        const res = await fetch(`${cp.url}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) return { cp, readyMs: performance.now() - started };
      } catch {
        // Not listening yet.
      }
      await delay(HEALTH_POLL_MS);
    }
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  memory(): Memory {
    return readMemory(this.pid);
  }

  /** SIGTERM to this PID, SIGKILL to it if it is still there after a while; resolves with the time the shutdown took. */
  async stop(): Promise<number> {
    const started = performance.now();
    if (!this.alive) return 0;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
    return performance.now() - started;
  }
}
