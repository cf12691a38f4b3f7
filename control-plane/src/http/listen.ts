import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

/** A Node HTTP server for the app; the hub adds its `upgrade` handler before it listens. */
export function createHttpServer(app: Hono): Server {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // A backup upload or download of gigabytes takes longer than Node's default 300 s per
  // request; a client still has to send its headers within headersTimeout (60 s).
  server.requestTimeout = 0;
  return server;
}

/** Listens, or rejects with the socket error (EADDRINUSE, EACCES…). Resolves to the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Stops listening at once and resolves once every connection has ended. Upgraded (WebSocket)
 * sockets are not HTTP connections any more: their owner closes them.
 */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
