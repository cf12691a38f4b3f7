import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts', 'logs');

/** Timings short enough for tests; production defaults are longer. */
export const FAST_TIMING = {
  BERTH_HEARTBEAT_INTERVAL_MS: '500',
  BERTH_LIVENESS_TIMEOUT_MS: '3000',
  BERTH_RESTART_GRACE_MS: '4000',
};

const running = new Set<ManagedProcess>();

/** Node flags of the control plane, as scripts/local.sh runs it (CONTROL_PLANE_NODE_FLAGS). */
export const CONTROL_PLANE_NODE_FLAGS = [
  '--max-semi-space-size=4',
  '--v8-pool-size=1',
  '--expose-gc',
];
/** Node flags of the agent, as install.sh's unit (AGENT_NODE_FLAGS) and scripts/local.sh run it. */
export const AGENT_NODE_FLAGS = [...CONTROL_PLANE_NODE_FLAGS, '--interrupt-budget=1000000'];
/** The malloc setting of the same unit (AGENT_MALLOC_ENV). */
const BERTH_MALLOC_ENV = { MALLOC_TRIM_THRESHOLD_: '131072' };

/** A real child process whose output is kept for assertions and saved under test/artifacts/logs. */
export class ManagedProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly logFile: WriteStream;

  constructor(
    name: string,
    script: string,
    env: Record<string, string>,
    nodeFlags: readonly string[] = CONTROL_PLANE_NODE_FLAGS,
  ) {
    mkdirSync(ARTIFACTS, { recursive: true });
    this.logFile = createWriteStream(join(ARTIFACTS, `${name}-${Date.now()}.log`));
    this.child = spawn(process.execPath, [...nodeFlags, script], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        ...BERTH_MALLOC_ENV,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.logFile.write(chunk);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        this.logFile.end();
        resolve({ code, signal });
      });
    });
    running.add(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to this process only, by its PID. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Data dirs of the control planes this test file started, for the audit check below. */
const controlPlaneDirs = new Set<string>();

/**
 * Stops every process the tests started; call from afterAll. Then checks that every entry of
 * their audit logs names its actor: whatever a test did through the API was recorded as someone's.
 */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
  const nameless: string[] = [];
  for (const dir of controlPlaneDirs) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'audit.ndjson'), 'utf8');
    } catch {
      continue;
    }
    // A line cut by a killed control plane is repaired when it starts again; skip it here.
    for (const line of text.split('\n').slice(0, -1)) {
      let entry: { action?: string; actor?: { type?: string; name?: string } };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (!entry.actor?.type || !entry.actor.name) nameless.push(`${dir}: ${line.slice(0, 200)}`);
    }
  }
  controlPlaneDirs.clear();
  if (nameless.length > 0) {
    throw new Error(`audit entries without an actor:\n${nameless.slice(0, 5).join('\n')}`);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
}

export interface ControlPlane {
  process: ManagedProcess;
  url: string;
  port: number;
  dataDir: string;
  token: string;
  env: Record<string, string>;
}

export async function startControlPlane(
  options: { dataDir?: string; port?: number; env?: Record<string, string> } = {},
): Promise<ControlPlane> {
  const dataDir = options.dataDir ?? tempDir('cp');
  controlPlaneDirs.add(dataDir);
  const port = options.port ?? (await freePort());
  const env = {
    BERTH_PORT: String(port),
    BERTH_HOST: '127.0.0.1',
    BERTH_DATA_DIR: dataDir,
    ...FAST_TIMING,
    ...options.env,
  };
  const proc = new ManagedProcess(
    'control-plane',
    join(REPO_ROOT, 'control-plane/dist/main.js'),
    env,
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`the control plane at ${url}/healthz`, async () => {
    if (!proc.alive) throw new Error(`control plane exited:\n${proc.output}`);
    const res = await fetch(`${url}/healthz`);
    return res.ok;
  });
  const token =
    options.env?.BERTH_ADMIN_TOKEN ?? readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  return { process: proc, url, port, dataDir, token, env };
}

/** Starts the control plane again on the same port and data dir. */
export async function restartControlPlane(cp: ControlPlane): Promise<ControlPlane> {
  return startControlPlane({ dataDir: cp.dataDir, port: cp.port, env: cp.env });
}

export interface Agent {
  process: ManagedProcess;
  stateDir: string;
  statusPort: number;
  statusUrl: string;
  env: Record<string, string>;
}

export async function startAgent(options: {
  controlPlaneUrl: string;
  joinToken?: string;
  stateDir?: string;
  statusPort?: number;
  name?: string;
  env?: Record<string, string>;
}): Promise<Agent> {
  const stateDir = options.stateDir ?? join(tempDir('agent'), 'state');
  const statusPort = options.statusPort ?? (await freePort());
  const env: Record<string, string> = {
    BERTH_CONTROL_PLANE_URL: options.controlPlaneUrl,
    BERTH_AGENT_STATE_DIR: stateDir,
    BERTH_AGENT_STATUS_PORT: String(statusPort),
    BERTH_AGENT_NAME: options.name ?? 'test-node',
    BERTH_AGENT_RECONNECT_MAX_MS: '1000',
    ...(options.joinToken ? { BERTH_JOIN_TOKEN: options.joinToken } : {}),
    ...options.env,
  };
  const proc = agentProcess(env);
  return { process: proc, stateDir, statusPort, statusUrl: `http://127.0.0.1:${statusPort}`, env };
}

/** The agent's bundle, run with the agent unit's flags. */
function agentProcess(env: Record<string, string>): ManagedProcess {
  return new ManagedProcess('agent', join(REPO_ROOT, 'agent/dist/main.js'), env, AGENT_NODE_FLAGS);
}

/** Starts the agent again with the same state dir and status port, without a join token. */
export async function restartAgent(agent: Agent): Promise<Agent> {
  const { BERTH_JOIN_TOKEN: _unused, ...env } = agent.env;
  const proc = agentProcess(env);
  return { ...agent, process: proc, env };
}

export interface AgentStatus {
  connected: boolean;
  controlPlaneUrl: string;
  agentId: string | null;
  lastHeartbeatAt: string | null;
  runningJobs: number;
  docker: { reachable: boolean; version: string | null };
}

export async function agentStatus(agent: Agent): Promise<AgentStatus> {
  const res = await fetch(`${agent.statusUrl}/status`);
  return (await res.json()) as AgentStatus;
}

export async function waitForAgentConnected(
  agent: Agent,
  timeoutMs = 20_000,
): Promise<AgentStatus> {
  return waitFor(
    'the agent to report connected',
    async () => {
      if (!agent.process.alive) throw new Error(`agent exited:\n${agent.process.output}`);
      const status = await agentStatus(agent);
      return status.connected ? status : null;
    },
    { timeoutMs },
  );
}
