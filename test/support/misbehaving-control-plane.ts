import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION } from '@berth/protocol';

/**
 * A deliberately misbehaving control plane: it enrolls anyone and welcomes any
 * hello, so a test can then push bad frames at a real agent.
 */
export class MisbehavingControlPlane {
  readonly received: Record<string, unknown>[] = [];
  sockets: WebSocket[] = [];
  connections = 0;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  url = '';

  constructor() {
    this.http = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/agent/v1/enroll') {
        req.resume();
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ agentId: 'srv_fake', name: 'fake' }));
        return;
      }
      res.writeHead(404).end();
    });
    this.wss = new WebSocketServer({ server: this.http, path: '/agent/v1/connect' });
    this.wss.on('connection', (ws) => {
      this.connections += 1;
      this.sockets.push(ws);
      ws.on('message', (data) => {
        let frame: Record<string, unknown>;
        try {
          frame = JSON.parse(data.toString()) as Record<string, unknown>;
        } catch {
          return;
        }
        this.received.push(frame);
        if (frame.type === 'hello') {
          ws.send(
            JSON.stringify({
              type: 'welcome',
              serverId: 'srv_fake',
              name: 'fake',
              protocolVersion: PROTOCOL_VERSION,
              controlPlaneVersion: '0.1.0',
              heartbeatIntervalMs: 300,
              livenessTimeoutMs: 3000,
              maxFrameBytes: 1024 * 1024,
            }),
          );
        }
      });
      ws.send(
        JSON.stringify({
          type: 'auth.challenge',
          nonce: 'n'.repeat(32),
          protocolVersion: PROTOCOL_VERSION,
        }),
      );
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    const address = this.http.address();
    if (!address || typeof address !== 'object') throw new Error('fake control plane has no port');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  get latest(): WebSocket | undefined {
    return this.sockets[this.sockets.length - 1];
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.received.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
