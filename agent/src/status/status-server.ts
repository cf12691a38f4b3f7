import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentError, describeError } from '../errors.js';
import type { AgentMetrics } from './metrics.js';
import type { CollectStatus } from './status-report.js';

/** The status port listens on loopback only; other hosts must never reach it. */
export const STATUS_HOST = '127.0.0.1';

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

export interface StatusServerOptions {
  /** 0 picks a free port. */
  port: number;
  collect: CollectStatus;
  residentMemoryBytes?: () => number;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  options: StatusServerOptions,
  metrics: () => Promise<AgentMetrics>,
) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (path) {
    case '/status': {
      const report = await options.collect();
      return reply(res, 200, 'application/json', `${JSON.stringify(report.body)}\n`);
    }
    case '/healthz': {
      const { body } = await options.collect();
      const healthy = body.connected && body.docker.reachable;
      const reasons = [
        body.connected
          ? null
          : `not connected to the control plane${body.lastError ? `: ${body.lastError}` : ''}`,
        body.docker.reachable ? null : 'Docker is not reachable',
      ].filter((reason) => reason !== null);
      return reply(
        res,
        healthy ? 200 : 503,
        'text/plain; charset=utf-8',
        healthy ? 'ok\n' : `${reasons.join('\n')}\n`,
      );
    }
    case '/metrics': {
      const report = await options.collect();
      const rss = (options.residentMemoryBytes ?? (() => process.memoryUsage.rss()))();
      const { contentType, render } = await metrics();
      return reply(res, 200, contentType, await render(report, rss));
    }
    default:
      return reply(
        res,
        404,
        'text/plain; charset=utf-8',
        'not found: try /status, /healthz or /metrics\n',
      );
  }
}

/** Serves `/status`, `/healthz` and `/metrics` on 127.0.0.1 only. */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  // prom-client (with the cluster and perf_hooks modules it loads) is loaded on the first
  // scrape: an agent nobody scrapes does not carry it.
  let loaded: Promise<AgentMetrics> | undefined;
  const metrics = () =>
    (loaded ??= import('./metrics.js').then(({ createAgentMetrics }) => createAgentMetrics()));
  const server: Server = createServer((req, res) => {
    route(req, res, options, metrics).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', `${describeError(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: STATUS_HOST, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new AgentError(
      'INVALID_INPUT',
      `cannot listen on ${STATUS_HOST}:${options.port} for the status port: ${describeError(err)}; ` +
        'set BERTH_AGENT_STATUS_PORT to a free port',
      { cause: err },
    );
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
