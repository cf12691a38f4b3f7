import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * An HTTP receiver on 127.0.0.1 that records each request. `answers` gives, per path, the
 * statuses to answer in turn; the last one repeats, and unknown paths answer 200.
 */
export class NotificationReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly requests: ReceivedRequest[],
  ) {}

  static async start(answers: Record<string, number[]> = {}): Promise<NotificationReceiver> {
    const served = new Map<string, number>();
    const requests: ReceivedRequest[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        requests.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const statuses = answers[path] ?? [200];
        const count = served.get(path) ?? 0;
        served.set(path, count + 1);
        res.statusCode = statuses[Math.min(count, statuses.length - 1)] ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new NotificationReceiver(server, `http://127.0.0.1:${port}`, requests);
  }

  on(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
