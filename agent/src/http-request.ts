import { request as plainRequest, type IncomingMessage } from 'node:http';
import { request as tlsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  /** The body as text; empty unless `readBody` was set. */
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the request; it then rejects. */
  signal?: AbortSignal;
  /** The whole exchange, connect to last byte, in milliseconds. */
  timeoutMs: number;
  /** Read and return the body (else it is discarded as it arrives). */
  readBody?: boolean;
}

/**
 * One HTTP(S) request over node:http. The agent does not use `fetch`: loading it (undici, with
 * http2 and web streams) costs a Node 20 process about 13 MB of RSS for good, which an idle agent
 * would carry after its enrollment or its first HTTP health check. Each request has its own
 * connection (no keep-alive pool): a health check must reach the container as a new client would.
 */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpAnswer> {
  const request = url.protocol === 'https:' ? tlsRequest : plainRequest;
  const signals = [
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ];
  const signal = AbortSignal.any(signals);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined)
      headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(
      url,
      { method: options.method ?? 'GET', headers, signal, agent: false },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (!options.readBody) {
          res.resume();
          res.once('end', () => resolve({ status, body: '' }));
          res.once('error', reject);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', reject);
      },
    );
    req.once('error', (err) =>
      reject(signal.aborted && signal.reason instanceof Error ? signal.reason : err),
    );
    req.end(options.body);
  });
}
