import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { ContainerFile, ThrowawaySpec } from './engine.js';

/**
 * Streams one file into a container as a one-entry tar archive. The entry's size is
 * known beforehand, so nothing is held in memory; a stopped container takes it too.
 */
export async function putFile(
  docker: Docker,
  containerId: string,
  directory: string,
  file: ContainerFile,
): Promise<void> {
  const archive = pack();
  const entry = archive.entry({ name: file.name, size: file.sizeBytes, mode: file.mode });
  const written = pipeline(file.content, entry).then(() => archive.finalize());
  written.catch((err: unknown) =>
    archive.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  const uploaded = docker
    .getContainer(containerId)
    .putArchive(archive as unknown as NodeJS.ReadableStream, { path: directory });
  await Promise.all([written, uploaded]);
}

/** Docker's data root, where volumes and images live; null when the engine does not say. */
export async function dataRoot(docker: Docker): Promise<string | null> {
  try {
    const info = (await docker.info()) as { DockerRootDir?: unknown };
    return typeof info.DockerRootDir === 'string' ? info.DockerRootDir : null;
  } catch {
    return null;
  }
}

/**
 * A container with no network and no published ports, whose data lives only in the
 * image's anonymous volumes (removed with it).
 */
export async function createThrowaway(docker: Docker, spec: ThrowawaySpec): Promise<string> {
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    HostConfig: { NetworkMode: 'none', Init: true, RestartPolicy: { Name: 'no' } },
  });
  return container.id;
}
