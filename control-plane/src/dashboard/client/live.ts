/// <reference lib="dom" />
import { loadSession } from './api.js';

export type StreamState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface LiveStream {
  close(): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * An EventSource that reconnects with backoff and jitter, asking `url()` again each
 * time (so a log stream resumes after the last line it has). Handlers get parsed JSON.
 */
export function openLiveStream(options: {
  url: () => string;
  on: Record<string, (data: unknown, stream: LiveStream) => void>;
  onState?: (state: StreamState) => void;
  onSignedOut?: () => void;
  signal?: AbortSignal;
}): LiveStream {
  let source: EventSource | undefined;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const stream: LiveStream = {
    close() {
      if (closed) return;
      closed = true;
      source?.close();
      if (timer) clearTimeout(timer);
      options.onState?.('closed');
    },
  };

  const connect = (): void => {
    if (closed) return;
    options.onState?.('connecting');
    const current = new EventSource(options.url(), { withCredentials: true });
    source = current;
    current.addEventListener('open', () => {
      retryMs = FIRST_RETRY_MS;
      options.onState?.('open');
    });
    for (const [event, handler] of Object.entries(options.on)) {
      current.addEventListener(event, (message) => {
        if (closed) return;
        let data: unknown = null;
        try {
          data = JSON.parse((message as MessageEvent<string>).data);
        } catch {
          return;
        }
        handler(data, stream);
      });
    }
    current.addEventListener('error', () => {
      current.close();
      if (closed) return;
      options.onState?.('retrying');
      // EventSource hides the status; a 401 means the session ended, so stop there.
      void loadSession().then(
        (signedIn) => {
          if (closed) return;
          if (!signedIn) {
            stream.close();
            options.onSignedOut?.();
            return;
          }
          schedule();
        },
        () => schedule(),
      );
    });
  };

  const schedule = (): void => {
    if (closed) return;
    const wait = retryMs / 2 + Math.random() * (retryMs / 2);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    timer = setTimeout(connect, wait);
  };

  options.signal?.addEventListener('abort', () => stream.close(), { once: true });
  connect();
  return stream;
}
