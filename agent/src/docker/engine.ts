import type { RegistryAuth } from '@berth/protocol';

/**
 * What the agent needs from a container engine: the jobs, state reports, upkeep,
 * heartbeats and the status port all use this one interface. `docker-engine.ts`
 * implements it with dockerode; unit tests use `testing/fake-engine.ts`.
 */

export interface ImageSummary {
  id: string;
  /** `repo:tag` references pointing at this image. */
  tags: string[];
  /** `repo@sha256:…` references, when the image came from a registry. */
  repoDigests: string[];
  labels: Record<string, string>;
}

export type ContainerStateName =
  'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface ContainerSummary {
  id: string;
  name: string;
  imageId: string;
  state: ContainerStateName;
  exitCode?: number;
  labels: Record<string, string>;
}

export interface ContainerDetails extends ContainerSummary {
  /** The container's address on its bridge network, for health checks. */
  ipAddress: string | null;
  restartCount: number;
  /** When the container last stopped (ISO time), or null if it never did. */
  finishedAt: string | null;
  /** The networks it is attached to, by name. */
  networks: string[];
}

export interface PortBinding {
  container: number;
  host: number;
  hostIp: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  ports: PortBinding[];
  /** Join this network (instead of the default bridge), reachable by these DNS names. */
  network?: { name: string; aliases: string[] };
  /** Named volumes mounted into the container. */
  volumes?: { name: string; path: string }[];
  /** Replaces the image's command (the entrypoint stays). */
  cmd?: string[];
  /** Host directories mounted into the container. */
  binds?: { hostPath: string; path: string; readOnly?: boolean }[];
  /** The engine restarts the container when it exits, unless it was stopped (default "no"). */
  restart?: 'no' | 'unless-stopped';
  /** Run the image's own process as PID 1 instead of Docker's init (default false). */
  noInit?: boolean;
}

/** A small file, held in memory, put into a container before it starts. */
export interface SmallFile {
  path: string;
  content: Buffer;
  /** Unix mode, e.g. 0o600. */
  mode: number;
  /** A user of the image's /etc/passwd that owns the file (and its folder); root when absent. */
  owner?: string;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** The exec's output is cut after this many bytes per stream. */
  maxOutputBytes?: number;
}

/** What a command run in a container gave back. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface BuildRequest {
  contextDir: string;
  /** Relative to contextDir's repository root, already validated. */
  dockerfile: string;
  tags: string[];
  noCache: boolean;
  signal: AbortSignal;
  /** Each whole line of build output; `continued` marks a later part of a long line. */
  onLine: (line: OutputText) => void;
  /** Null while `onLine` keeps up; else resolves once it does again (the output waits). */
  room?: () => Promise<void> | null;
  /** Logins for the registries the Dockerfile's FROM images come from. */
  registries?: RegistryAuth[];
}

/** A command run inside a running container; the output streams as it comes. */
export interface ExecStreamRequest {
  cmd: string[];
  /** The command's environment: the one place secrets go (never `cmd`). */
  env?: Record<string, string>;
  /** Fed to the command's stdin; its end closes the command's stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Each line the command writes to stderr. */
  onStderrLine?: (line: string) => void;
  signal: AbortSignal;
}

export interface ExecStream {
  /** The command's stdout (demultiplexed), paced by whoever reads it. */
  stdout: NodeJS.ReadableStream;
  /** The command's exit status, once its output has ended. */
  exit: Promise<number>;
}

/** A file written into a container as it streams, of a size known beforehand. */
export interface ContainerFile {
  name: string;
  sizeBytes: number;
  mode: number;
  content: NodeJS.ReadableStream;
}

/** A container of no network, no ports and no named volume, for trying a backup out. */
export interface ThrowawaySpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  cmd?: string[];
}

/** A line of output, or a part of a line longer than the protocol's MAX_LOG_LINE_BYTES. */
export interface OutputText {
  text: string;
  /** This part goes on from the previous part of the same printed line. */
  continued?: boolean;
}

export type BuildOutcome = { ok: true; imageId: string } | { ok: false; error: string };

export interface EngineEvent {
  containerId: string;
  action: string;
  labels: Record<string, string>;
}

export interface FollowLogsOptions {
  tail: number;
  follow: boolean;
  signal: AbortSignal;
  onLine: (line: ContainerOutputLine) => void;
}

export interface ContainerOutputLine extends OutputText {
  ts: string;
  stream: 'stdout' | 'stderr';
}

export interface Engine {
  /** The engine version ("20.10.24"), or null when the engine cannot be reached. */
  version(): Promise<string | null>;
  inspectImage(reference: string): Promise<ImageSummary | null>;
  /** Images carrying every one of these labels; an empty value matches any value. */
  listImages(labels: Record<string, string>): Promise<ImageSummary[]>;
  pullImage(
    reference: string,
    options: {
      signal: AbortSignal;
      onLine: (line: string) => void;
      /** The login for the registry `reference` comes from. */
      auth?: RegistryAuth;
    },
  ): Promise<void>;
  tagImage(imageId: string, repo: string, tag: string): Promise<void>;
  removeImage(imageId: string): Promise<void>;
  buildImage(request: BuildRequest): Promise<BuildOutcome>;
  /** Containers carrying every one of these labels, running or not; an empty value matches any value. */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerDetails | null>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stops within timeoutSeconds; a container that is already stopped is fine. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  /** The last `lines` lines of a container's output. */
  containerLogs(
    id: string,
    lines: number,
  ): Promise<(OutputText & { stream: 'stdout' | 'stderr' })[]>;
  /** Streams a container's output line by line; with follow, until it stops or the signal aborts. */
  followLogs(id: string, options: FollowLogsOptions): Promise<void>;
  /** Creates the bridge network unless it exists; a concurrent create is fine. */
  ensureNetwork(name: string, labels: Record<string, string>): Promise<void>;
  /**
   * Attaches a container to a network as well, reachable there by these DNS names; attaching
   * one that is attached already is fine.
   */
  connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void>;
  /** Creates the named volume unless it exists. */
  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Puts a file into a created (not yet started) or running container. */
  writeFile(containerId: string, file: SmallFile): Promise<void>;
  /**
   * Runs a command in a running container and returns its buffered output. Secrets go in
   * `env`, never in `cmd`: an exec's command line is visible to anyone who inspects it.
   */
  runExec(
    containerId: string,
    cmd: string[],
    env: Record<string, string>,
    options?: ExecOptions,
  ): Promise<ExecResult>;
  /** Host ports that containers publish. */
  publishedPorts(): Promise<number[]>;
  /** Calls onEvent for container events of Berth containers until the signal aborts. */
  watchEvents(signal: AbortSignal, onEvent: (event: EngineEvent) => void): Promise<void>;
  /** Runs a command in a running container, streaming stdin and stdout. */
  execStream(containerId: string, request: ExecStreamRequest): Promise<ExecStream>;
  /** Writes one file into a directory of a container, running or stopped. */
  putFile(containerId: string, directory: string, file: ContainerFile): Promise<void>;
  /** Docker's data root (DockerRootDir), or null when the engine does not say. */
  dataRoot(): Promise<string | null>;
  createThrowawayContainer(spec: ThrowawaySpec): Promise<string>;
}

export const LABELS = {
  service: 'berth.service',
  deployment: 'berth.deployment',
  number: 'berth.deployment-number',
  throwaway: 'berth.throwaway',
} as const;
