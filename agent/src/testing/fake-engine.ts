import { registryHostOf, type RegistryAuth } from '@berth/protocol';
import type {
  BuildOutcome,
  BuildRequest,
  ContainerDetails,
  ContainerFile,
  SmallFile,
  ContainerSpec,
  Engine,
  ExecStream,
  ExecStreamRequest,
  ExecResult,
  EngineEvent,
  FollowLogsOptions,
  ImageSummary,
  ThrowawaySpec,
} from '../docker/engine.js';
import {
  fakeExecStream,
  type FakeExecCall,
  type FakeExecHandler,
  type FakeSessionHandler,
} from './fake-exec.js';

interface FakeContainer extends ContainerDetails {
  spec: ContainerSpec;
}

const matches = (labels: Record<string, string>, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([k, v]) => (v === '' ? k in labels : labels[k] === v));

/**
 * An in-memory engine behind the same interface as the Docker one. `behaviour`
 * decides what a started container does, keyed by image id.
 */
export class FakeEngine implements Engine {
  images = new Map<string, ImageSummary>();
  containers = new Map<string, FakeContainer>();
  builds: BuildRequest[] = [];
  pulls: string[] = [];
  /** Image ids whose containers exit at once with this status. */
  crashing = new Map<string, number>();
  /** References that exist in the "registry": pull gives this image. */
  registry = new Map<string, ImageSummary>();
  /** Registries that want a login, by host: a pull from one without this login is refused. */
  logins = new Map<string, { username: string; password: string }>();
  /** The login each pull was given, in order (undefined: none). */
  pullAuths: (RegistryAuth | undefined)[] = [];
  buildResult: (req: BuildRequest) => BuildOutcome | Promise<BuildOutcome> = () => ({
    ok: true,
    imageId: this.newImageId(),
  });
  /** What streaming commands run in containers do; by default they are not found. */
  execHandler: FakeExecHandler = () => ({ code: 127, stderr: ['command not found'] });
  execCalls: FakeExecCall[] = [];
  sessionHandler: FakeSessionHandler = () => null;
  /** Files streamed into containers (putFile), whole. */
  streamedFiles: { containerId: string; directory: string; name: string; content: Buffer }[] = [];
  dataRootPath: string | null = null;
  networks = new Map<string, Record<string, string>>();
  volumes = new Map<string, Record<string, string>>();
  files = new Map<string, SmallFile[]>();
  execs: { containerId: string; cmd: string[]; env: Record<string, string> }[] = [];
  /** What an exec answers; by default it succeeds with no output. */
  execResult: (containerId: string, cmd: string[]) => ExecResult | Promise<ExecResult> = () => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
  });
  /** Host ports something outside the fake's containers publishes. */
  otherPublishedPorts: number[] = [];
  private counter = 0;
  private created = 0;

  newImageId(): string {
    this.counter += 1;
    return `sha256:${String(this.counter).padStart(64, '0')}`;
  }

  /** The version the engine answers; null makes Docker unreachable. */
  constructor(private answeredVersion: string | null = '20.10.24') {}

  version = () => Promise.resolve(this.answeredVersion);

  /** null makes Docker unreachable. */
  setVersion(version: string | null): void {
    this.answeredVersion = version;
  }

  inspectImage(reference: string): Promise<ImageSummary | null> {
    const found =
      this.images.get(reference) ??
      [...this.images.values()].find(
        (i) => i.tags.includes(reference) || i.repoDigests.includes(reference),
      );
    return Promise.resolve(found ?? null);
  }

  listImages(labels: Record<string, string>): Promise<ImageSummary[]> {
    return Promise.resolve([...this.images.values()].filter((i) => matches(i.labels, labels)));
  }

  pullImage(reference: string, options?: { auth?: RegistryAuth }): Promise<void> {
    this.pulls.push(reference);
    const auth = options?.auth;
    this.pullAuths.push(auth);
    const wanted = this.logins.get(registryHostOf(reference));
    if (wanted && !auth) {
      return Promise.reject(
        new Error(`Head "http://${registryHostOf(reference)}/v2/": no basic auth credentials`),
      );
    }
    if (wanted && (auth?.username !== wanted.username || auth.password !== wanted.password)) {
      return Promise.reject(new Error('unauthorized: authentication required'));
    }
    const image = this.registry.get(reference);
    if (!image) return Promise.reject(new Error(`pull access denied for ${reference}`));
    const existing = this.images.get(image.id);
    this.images.set(image.id, {
      ...image,
      tags: [...new Set([...(existing?.tags ?? []), ...image.tags])],
    });
    return Promise.resolve();
  }

  tagImage(imageId: string, repo: string, tag: string): Promise<void> {
    const image = this.images.get(imageId);
    if (!image) return Promise.reject(new Error(`no such image ${imageId}`));
    image.tags = [...new Set([...image.tags, `${repo}:${tag}`])];
    return Promise.resolve();
  }

  removeImage(imageId: string): Promise<void> {
    this.images.delete(imageId);
    return Promise.resolve();
  }

  async buildImage(request: BuildRequest): Promise<BuildOutcome> {
    this.builds.push(request);
    request.onLine({ text: 'Step 1/1 : FROM base' });
    const outcome = await this.buildResult(request);
    if (outcome.ok) {
      this.images.set(outcome.imageId, {
        id: outcome.imageId,
        tags: request.tags,
        repoDigests: [],
        labels: {},
      });
    }
    return outcome;
  }

  listContainers(labels: Record<string, string>) {
    return Promise.resolve(
      [...this.containers.values()].filter((c) => matches(c.labels, labels)).map((c) => ({ ...c })),
    );
  }

  inspectContainer(id: string): Promise<ContainerDetails | null> {
    const c = this.containers.get(id);
    return Promise.resolve(c ? { ...c, networks: [...c.networks] } : null);
  }

  createContainer(spec: ContainerSpec): Promise<string> {
    if (!this.images.has(spec.image))
      return Promise.reject(new Error(`no such image ${spec.image}`));
    if ([...this.containers.values()].some((c) => c.name === spec.name))
      return Promise.reject(new Error(`the container name "${spec.name}" is already in use`));
    this.created += 1;
    const id = `c${this.created}-${spec.name}`;
    this.containers.set(id, {
      id,
      name: spec.name,
      imageId: spec.image,
      state: 'created',
      labels: spec.labels,
      ipAddress: null,
      restartCount: 0,
      finishedAt: null,
      networks: spec.network ? [spec.network.name] : [],
      spec,
    });
    return Promise.resolve(id);
  }

  startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return Promise.reject(new Error(`no such container ${id}`));
    for (const other of this.running()) {
      const taken = other.spec.ports.find((p) => c.spec.ports.some((q) => q.host === p.host));
      if (taken) return Promise.reject(new Error(`port ${taken.host} is already allocated`));
      const shared = other.spec.volumes?.find((v) =>
        c.spec.volumes?.some((w) => w.name === v.name),
      );
      if (shared) return Promise.reject(new Error(`volume ${shared.name} is in use`));
    }
    const crash = this.crashing.get(c.imageId);
    if (crash !== undefined) {
      c.state = 'exited';
      c.exitCode = crash;
    } else {
      c.state = 'running';
      delete c.exitCode;
    }
    return Promise.resolve();
  }

  stopContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c && c.state === 'running') {
      c.state = 'exited';
      c.exitCode = 143;
      c.finishedAt = new Date().toISOString();
    }
    return Promise.resolve();
  }

  removeContainer(id: string): Promise<void> {
    this.containers.delete(id);
    return Promise.resolve();
  }

  containerLogs(id: string): Promise<{ stream: 'stdout' | 'stderr'; text: string }[]> {
    const c = this.containers.get(id);
    return Promise.resolve(
      c?.exitCode
        ? [{ stream: 'stderr', text: 'boom: cannot start' }]
        : [{ stream: 'stdout', text: 'listening' }],
    );
  }

  followLogs(id: string, options: FollowLogsOptions): Promise<void> {
    const ts = new Date().toISOString();
    for (const line of this.containers.has(id) ? ['listening'] : [])
      options.onLine({ ts, stream: 'stdout', text: line });
    return Promise.resolve();
  }

  ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    if (!this.networks.has(name)) this.networks.set(name, labels);
    return Promise.resolve();
  }

  /** Extra networks containers were attached to, with their aliases there. */
  attachments: { network: string; containerId: string; aliases: string[] }[] = [];

  connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void> {
    if (!this.containers.has(containerId))
      return Promise.reject(new Error(`no such container ${containerId}`));
    if (!this.attachments.some((a) => a.network === network && a.containerId === containerId)) {
      this.attachments.push({ network, containerId, aliases });
      this.containers.get(containerId)!.networks.push(network);
    }
    return Promise.resolve();
  }

  ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    if (!this.volumes.has(name)) this.volumes.set(name, labels);
    return Promise.resolve();
  }

  writeFile(containerId: string, file: SmallFile): Promise<void> {
    if (!this.containers.has(containerId))
      return Promise.reject(new Error(`no such container ${containerId}`));
    this.files.set(containerId, [...(this.files.get(containerId) ?? []), file]);
    return Promise.resolve();
  }

  async runExec(containerId: string, cmd: string[], env: Record<string, string>) {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') throw new Error(`container ${containerId} is not running`);
    this.execs.push({ containerId, cmd, env });
    return this.execResult(containerId, cmd);
  }

  publishedPorts(): Promise<number[]> {
    const ports = this.running().flatMap((c) => c.spec.ports.map((p) => p.host));
    return Promise.resolve([...ports, ...this.otherPublishedPorts]);
  }

  watchEvents(signal: AbortSignal, _onEvent: (event: EngineEvent) => void): Promise<void> {
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  execStream(containerId: string, request: ExecStreamRequest): Promise<ExecStream> {
    if (this.containers.get(containerId)?.state !== 'running') {
      return Promise.reject(new Error(`container ${containerId} is not running`));
    }
    return Promise.resolve(
      fakeExecStream(containerId, request, this.execHandler, this.execCalls, this.sessionHandler),
    );
  }

  async putFile(containerId: string, directory: string, file: ContainerFile): Promise<void> {
    if (!this.containers.has(containerId)) throw new Error(`no such container ${containerId}`);
    const chunks: Buffer[] = [];
    for await (const chunk of file.content as AsyncIterable<Buffer>)
      chunks.push(Buffer.from(chunk));
    const content = Buffer.concat(chunks);
    if (content.length !== file.sizeBytes) throw new Error('the file is not the size announced');
    this.streamedFiles.push({ containerId, directory, name: file.name, content });
  }

  dataRoot(): Promise<string | null> {
    return Promise.resolve(this.dataRootPath);
  }

  createThrowawayContainer(spec: ThrowawaySpec): Promise<string> {
    return this.createContainer({ ...spec, ports: [] });
  }

  running(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.state === 'running');
  }
}
