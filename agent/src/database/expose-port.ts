import { createServer } from 'node:net';
import { EXPOSE_PORT_RANGE } from '@berth/protocol';
import type { Engine } from '../docker/engine.js';
import { AgentError } from '../errors.js';
import type { JobContext } from '../jobs/job-context.js';

/** True when nothing listens on the port on any address of this host. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

export interface PickPortOptions {
  isFree?: (port: number) => Promise<boolean>;
  /** In [0, 1): where in the range the search starts, so agents on one host rarely collide. */
  random?: () => number;
}

/** A port of 20000–29999 that no container publishes and nothing listens on. */
export async function pickPublicPort(
  engine: Engine,
  options: PickPortOptions = {},
): Promise<number> {
  const isFree = options.isFree ?? isPortFree;
  const random = options.random ?? Math.random;
  const { first, last } = EXPOSE_PORT_RANGE;
  const size = last - first + 1;
  const published = new Set(await engine.publishedPorts());
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i += 1) {
    const port = first + ((start + i) % size);
    if (published.has(port)) continue;
    if (await isFree(port)) return port;
  }
  throw new AgentError(
    'CONFLICT',
    `No free port in ${first}–${last} on this server; ask for a port with {"port": N}`,
  );
}

/** The port to publish a database on: the one the job asks for, or a free one; none unless exposed. */
export async function requestedPublicPort(
  ctx: Pick<JobContext, 'engine' | 'spec'>,
  options: PickPortOptions = {},
): Promise<number | undefined> {
  const { spec } = ctx;
  if (spec.service.source.type !== 'database' || !spec.expose) return undefined;
  return spec.expose.port ?? pickPublicPort(ctx.engine, options);
}
