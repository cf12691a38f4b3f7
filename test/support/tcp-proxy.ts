import { createConnection, createServer, type Socket } from 'node:net';

/** A loopback TCP proxy whose link can be cut and restored, to play a network outage. */
export interface TcpProxy {
  /** The port it listens on, on 127.0.0.1. */
  port: number;
  /** `http://127.0.0.1:<port>`, for a client that should reach the target through the proxy. */
  url: string;
  /** Whether the link is cut right now. */
  readonly isCut: boolean;
  /**
   * Cuts the link: open connections are reset on both sides, and new ones are
   * reset as soon as they arrive, until {@link restore}.
   */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Resets a socket (RST rather than FIN) so its peer sees the link drop, not a clean close. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    if (socket.connecting) socket.destroy();
    else socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Starts a proxy on a free 127.0.0.1 port that forwards every connection to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;

  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (isCut) {
      reset(client);
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    upstream.on('error', () => undefined);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      reset(client);
      reset(upstream);
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address && typeof address === 'object') resolve(address.port);
      else reject(new Error('could not read the port the proxy listens on'));
    });
  });

  const resetAll = () => {
    for (const [client, upstream] of pairs) {
      reset(client);
      reset(upstream);
    }
    pairs.clear();
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get isCut() {
      return isCut;
    },
    cut() {
      isCut = true;
      resetAll();
    },
    restore() {
      isCut = false;
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
