import { routeNetworkName } from '@berth/protocol';
import { docker } from './app-fixture.js';

/** What a test needs to know about a container, read with `docker inspect`. */
export interface ContainerView {
  id: string;
  /** The image id the container runs, `sha256:…`. */
  imageId: string;
  /** The image as named when the container was created (a tag, digest or id). */
  imageName: string;
  labels: Record<string, string>;
  running: boolean;
  status: string;
  startedAt: string;
  init: boolean;
}

interface RawInspect {
  Id: string;
  Image: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: { Running: boolean; Status: string; StartedAt: string };
  HostConfig: { Init: boolean | null };
}

/** Every container (running or not) labelled `berth.service=<serviceId>`. */
export async function containersOf(
  serviceId: string,
  options: { runningOnly?: boolean } = {},
): Promise<ContainerView[]> {
  const ids = await docker([
    'ps',
    ...(options.runningOnly ? [] : ['-a']),
    '-q',
    '--no-trunc',
    '--filter',
    `label=berth.service=${serviceId}`,
  ]);
  if (!ids) return [];
  const raw = JSON.parse(await docker(['inspect', ...ids.split('\n')])) as RawInspect[];
  return raw.map((c) => ({
    id: c.Id,
    imageId: c.Image,
    imageName: c.Config.Image,
    labels: c.Config.Labels ?? {},
    running: c.State.Running,
    status: c.State.Status,
    startedAt: c.State.StartedAt,
    init: c.HostConfig.Init === true,
  }));
}

/** The one running container of a service; fails when there is none or more than one. */
export async function runningContainerOf(serviceId: string): Promise<ContainerView> {
  const running = await containersOf(serviceId, { runningOnly: true });
  if (running.length !== 1) {
    throw new Error(
      `expected exactly one running container labelled berth.service=${serviceId}, found ${running.length}: ${JSON.stringify(running)}`,
    );
  }
  return running[0]!;
}

export interface ImageView {
  id: string;
  labels: Record<string, string>;
  repoTags: string[];
  repoDigests: string[];
}

/** `docker image inspect`, or null when the engine has no such image. */
export async function inspectImage(ref: string): Promise<ImageView | null> {
  let out: string;
  try {
    out = await docker(['image', 'inspect', ref]);
  } catch {
    return null;
  }
  const [raw] = JSON.parse(out) as {
    Id: string;
    Config: { Labels: Record<string, string> | null };
    RepoTags: string[] | null;
    RepoDigests: string[] | null;
  }[];
  if (!raw) return null;
  return {
    id: raw.Id,
    labels: raw.Config.Labels ?? {},
    repoTags: raw.RepoTags ?? [],
    repoDigests: raw.RepoDigests ?? [],
  };
}

/**
 * Whether an image id reported by Berth names the same image as Docker's
 * `sha256:<64 hex>` id. Berth may report the full id or a prefix of 12+ hex digits.
 */
export function sameImageId(reported: string | undefined, dockerId: string): boolean {
  if (!reported) return false;
  const a = reported.replace(/^sha256:/, '');
  const b = dockerId.replace(/^sha256:/, '');
  return a.length >= 12 && b.startsWith(a);
}

/** Commands of every running container, untruncated, e.g. `/bin/sh -c 'sleep 30'`. */
export async function runningCommands(): Promise<string[]> {
  const out = await docker(['ps', '--no-trunc', '--format', '{{.Command}}']);
  return out ? out.split('\n') : [];
}

/**
 * Removes what the tests made on the engine: the services' containers, their
 * `berth/<serviceId>` images and any images the agent pulled for them.
 * Best effort: a leftover is not worth failing a test run for.
 */
export async function removeServiceArtifacts(
  serviceIds: string[],
  pulledImages: string[] = [],
): Promise<void> {
  const ignore = () => undefined;
  for (const serviceId of serviceIds) {
    const containers = await docker([
      'ps',
      '-aq',
      '--filter',
      `label=berth.service=${serviceId}`,
    ]).catch(() => '');
    if (containers) await docker(['rm', '-f', '-v', ...containers.split('\n')]).catch(ignore);
  }
  const images = new Set<string>();
  for (const serviceId of serviceIds) {
    const labelled = await docker([
      'images',
      '-q',
      '--filter',
      `label=berth.service=${serviceId}`,
    ]).catch(() => '');
    const tagged = await docker(['images', '-q', '--filter', `reference=berth/${serviceId}`]).catch(
      () => '',
    );
    for (const id of `${labelled}\n${tagged}`.split('\n')) if (id) images.add(id);
  }
  if (images.size > 0) await docker(['image', 'rm', '-f', ...images]).catch(ignore);
  // A database's data volume (only databases have one; the others are not found).
  for (const serviceId of serviceIds) {
    await docker(['volume', 'rm', `berth-${serviceId}-data`]).catch(ignore);
  }
  for (const image of pulledImages) await docker(['image', 'rm', image]).catch(ignore);
}

/** Removes an environment's network, which the agent made for the services of a test. */
/** Removes the environment's network and its route network (the proxy's), where they exist. */
export async function removeEnvironmentNetwork(environmentId: string): Promise<void> {
  await docker(['network', 'rm', `berth-env-${environmentId}`]).catch(() => undefined);
  await docker(['network', 'rm', routeNetworkName(environmentId)]).catch(() => undefined);
}
