import Docker from 'dockerode';
import { pack } from 'tar-fs';
import { DOCKER_HUB_HOST, parseImageReference, type RegistryAuth } from '@berth/protocol';
import type {
  BuildOutcome,
  BuildRequest,
  ContainerDetails,
  ContainerSpec,
  ContainerStateName,
  ContainerSummary,
  Engine,
  EngineEvent,
  FollowLogsOptions,
  ImageSummary,
} from './engine.js';
import { LABELS } from './engine.js';
import { BuildOutput } from './build-output.js';
import { createThrowaway, dataRoot, putFile } from './container-files.js';
import { dockerResources } from './docker-resources.js';
import { execStream } from './exec-stream.js';
import { demuxLogs, followJsonLines, followLogStream, timestamped } from './streams.js';
import { createVersionProbe, type VersionProbeOptions } from './version-probe.js';

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Runs a call and maps "not found" (404) to null. */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (statusCode(err) === 404) return null;
    throw err;
  }
}

/** Ignores the answers that mean "already so": 304 (not modified) and 404 (gone). */
async function idempotent(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    const code = statusCode(err);
    if (code !== 304 && code !== 404) throw err;
  }
}

function labelFilter(labels: Record<string, string>): string {
  // An empty value asks only that the label is present.
  return JSON.stringify({
    label: Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`)),
  });
}

function toState(value: unknown): ContainerStateName {
  const states: ContainerStateName[] = [
    'created',
    'running',
    'paused',
    'restarting',
    'exited',
    'dead',
    'removing',
  ];
  return states.find((s) => s === value) ?? 'dead';
}

function describeProgress(event: Record<string, unknown>): string | null {
  if (typeof event.status !== 'string') return null;
  // Per-layer progress bars would flood the log; keep the state changes.
  if (event.status === 'Downloading' || event.status === 'Extracting') return null;
  return typeof event.id === 'string' ? `${event.id}: ${event.status}` : event.status;
}

function progressError(event: Record<string, unknown>): string | null {
  if (typeof event.error === 'string') return event.error;
  const detail = event.errorDetail as { message?: unknown } | undefined;
  return typeof detail?.message === 'string' ? detail.message : null;
}

/** Where the engine looks a registry's login up: Docker Hub keeps its historic index URL. */
function serverAddress(host: string): string {
  return host === DOCKER_HUB_HOST ? 'https://index.docker.io/v1/' : host;
}

/** X-Registry-Config of a build: logins keyed by registry. */
function registryConfig(
  registries: RegistryAuth[],
): Record<string, { username: string; password: string }> {
  return Object.fromEntries(
    registries.map(({ host, username, password }) => [serverAddress(host), { username, password }]),
  );
}

export type DockerEngineOptions = VersionProbeOptions;

/**
 * The Docker engine at DOCKER_HOST, or /var/run/docker.sock by default, behind
 * the Engine interface. No dockerode type leaves this folder.
 */
export function createDockerEngine(options: DockerEngineOptions = {}): Engine {
  // The API version stays unset, as in the version probe.
  const docker = new Docker(options.socketPath ? { socketPath: options.socketPath } : {});
  const version = createVersionProbe(options);
  const mapImage = (image: {
    Id: string;
    RepoTags?: string[] | null;
    RepoDigests?: string[] | null;
    Labels?: Record<string, string> | null;
  }): ImageSummary => ({
    id: image.Id,
    tags: (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    repoDigests: (image.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
    labels: image.Labels ?? {},
  });

  return {
    ...dockerResources(docker),

    version,

    async inspectImage(reference) {
      const info = await orNull(docker.getImage(reference).inspect());
      return info ? mapImage({ ...info, Labels: info.Config?.Labels ?? null }) : null;
    },

    async listImages(labels) {
      const images = await docker.listImages({ filters: labelFilter(labels) });
      return images.map(mapImage);
    },

    async pullImage(reference, { signal, onLine, auth }) {
      const parsed = parseImageReference(reference);
      const fromImage = parsed?.name ?? reference;
      const tag = parsed?.digest ?? parsed?.tag ?? 'latest';
      // X-Registry-Auth, a header: the login never goes in the query string.
      const authconfig = auth && {
        username: auth.username,
        password: auth.password,
        serveraddress: serverAddress(auth.host),
      };
      const stream = await docker.createImage(authconfig, {
        fromImage,
        tag,
        abortSignal: signal,
      });
      await followJsonLines(stream, signal, (event) => {
        const error = progressError(event);
        if (error) throw new Error(error);
        if (typeof event.stream === 'string') {
          for (const line of event.stream.split('\n')) if (line !== '') onLine(line);
          return;
        }
        const line = describeProgress(event);
        if (line) onLine(line);
      });
    },

    async tagImage(imageId, repo, tag) {
      await docker.getImage(imageId).tag({ repo, tag });
    },

    async removeImage(reference) {
      await idempotent(docker.getImage(reference).remove());
    },

    async buildImage(request: BuildRequest): Promise<BuildOutcome> {
      const context = pack(request.contextDir, {
        ignore: (name) => /(^|\/)\.git(\/|$)/.test(name),
      });
      const stream = await docker.buildImage(context, {
        t: request.tags[0],
        dockerfile: request.dockerfile,
        nocache: request.noCache,
        pull: false,
        rm: true,
        forcerm: true,
        abortSignal: request.signal,
        // A FROM image that is not on the node is pulled with these (X-Registry-Config).
        ...(request.registries?.length
          ? { registryconfig: registryConfig(request.registries) }
          : {}),
      });
      let imageId: string | undefined;
      let failure: string | undefined;
      const output = new BuildOutput(request.onLine);
      await followJsonLines(
        stream,
        request.signal,
        (event) => {
          // A failed build still answers 200: the failure arrives as a progress line.
          const error = progressError(event);
          if (error) {
            failure = error.trim();
            output.message(failure);
            return;
          }
          const aux = event.aux as { ID?: unknown } | undefined;
          if (typeof aux?.ID === 'string') imageId = aux.ID;
          if (typeof event.stream === 'string') output.push(event.stream);
          else {
            const line = describeProgress(event);
            if (line !== null) output.message(line);
          }
        },
        request.room,
      );
      output.end();
      if (failure) return { ok: false, error: failure };
      imageId ??= request.tags[0]
        ? (await orNull(docker.getImage(request.tags[0]).inspect()))?.Id
        : undefined;
      return imageId
        ? { ok: true, imageId }
        : { ok: false, error: 'the engine reported no image id' };
    },

    async listContainers(labels) {
      const containers = await docker.listContainers({ all: true, filters: labelFilter(labels) });
      return containers.map((c): ContainerSummary => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        imageId: c.ImageID,
        state: toState(c.State),
        labels: c.Labels ?? {},
      }));
    },

    async inspectContainer(id): Promise<ContainerDetails | null> {
      const info = await orNull(docker.getContainer(id).inspect());
      if (!info) return null;
      const byName = Object.entries(info.NetworkSettings?.Networks ?? {});
      const networks = byName.map(([, n]) => n);
      // Engine 20.10 still reports the default bridge's address here; the types have dropped it.
      const settings: object = info.NetworkSettings ?? {};
      const primary =
        'IPAddress' in settings && typeof settings.IPAddress === 'string' ? settings.IPAddress : '';
      // On an environment's network, the health check reaches the container there.
      const environment = byName.find(([name, n]) => name.startsWith('berth-env-') && n.IPAddress);
      const ip =
        environment?.[1].IPAddress ||
        primary ||
        networks.find((n) => n.IPAddress)?.IPAddress ||
        null;
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        imageId: info.Image,
        state: toState(info.State.Status),
        exitCode: info.State.ExitCode,
        labels: info.Config.Labels ?? {},
        ipAddress: ip,
        restartCount: info.RestartCount ?? 0,
        // The engine reports the zero time for a container that never stopped.
        finishedAt: info.State.FinishedAt?.startsWith('0001-')
          ? null
          : (info.State.FinishedAt ?? null),
        networks: byName.map(([name]) => name),
      };
    },

    async createContainer(spec: ContainerSpec) {
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const port of spec.ports) {
        const key = `${port.container}/tcp`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: String(port.host) });
      }
      const container = await docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        ExposedPorts: exposed,
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        HostConfig: {
          PortBindings: bindings,
          Init: !spec.noInit,
          RestartPolicy: { Name: spec.restart ?? 'no' },
          ...(spec.binds
            ? {
                Binds: spec.binds.map((b) => `${b.hostPath}:${b.path}${b.readOnly ? ':ro' : ''}`),
              }
            : {}),
          ...(spec.network ? { NetworkMode: spec.network.name } : {}),
          ...(spec.volumes
            ? {
                Mounts: spec.volumes.map((v) => ({
                  Type: 'volume',
                  Source: v.name,
                  Target: v.path,
                })),
              }
            : {}),
        },
        ...(spec.network
          ? {
              NetworkingConfig: {
                EndpointsConfig: { [spec.network.name]: { Aliases: spec.network.aliases } },
              },
            }
          : {}),
      });
      return container.id;
    },

    async startContainer(id) {
      await idempotent(docker.getContainer(id).start());
    },

    async stopContainer(id, timeoutSeconds) {
      await idempotent(docker.getContainer(id).stop({ t: timeoutSeconds }));
    },

    async removeContainer(id) {
      await idempotent(docker.getContainer(id).remove({ force: true, v: true }));
    },

    async containerLogs(id, lines) {
      const raw = await orNull(
        docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
      );
      return raw ? demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))) : [];
    },

    async followLogs(id, options: FollowLogsOptions) {
      const container = docker.getContainer(id);
      if (!options.follow) {
        // Without follow the engine answers one buffer (8-byte frame headers), not a stream.
        const raw = await container.logs({
          stdout: true,
          stderr: true,
          tail: options.tail,
          follow: false,
          timestamps: true,
        });
        for (const line of demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))) {
          options.onLine(timestamped(line.stream, line));
        }
        return;
      }
      const stream = await container.logs({
        stdout: true,
        stderr: true,
        tail: options.tail,
        follow: true,
        timestamps: true,
        abortSignal: options.signal,
      });
      await followLogStream(stream, options);
    },

    async watchEvents(signal: AbortSignal, onEvent: (event: EngineEvent) => void) {
      const stream = await docker.getEvents({
        filters: JSON.stringify({ type: ['container'], label: [LABELS.service] }),
        abortSignal: signal,
      });
      await followJsonLines(stream, signal, (event) => {
        const actor = event.Actor as
          { ID?: unknown; Attributes?: Record<string, string> } | undefined;
        const action =
          typeof event.Action === 'string'
            ? event.Action
            : typeof event.status === 'string'
              ? event.status
              : '';
        if (typeof actor?.ID === 'string') {
          onEvent({ containerId: actor.ID, action, labels: actor.Attributes ?? {} });
        }
      });
    },

    execStream: (id, request) => execStream(docker, id, request),
    putFile: (id, directory, file) => putFile(docker, id, directory, file),
    dataRoot: () => dataRoot(docker),
    createThrowawayContainer: (spec) => createThrowaway(docker, spec),
  };
}
