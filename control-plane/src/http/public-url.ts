import type { Context } from 'hono';

// A Host header that is safe to paste into a shell command.
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The base URL agents should use: BERTH_PUBLIC_URL, else the request's Host and scheme. */
export function publicUrlOf(c: Context, configured: string | undefined): string {
  if (configured) return configured;
  const url = new URL(c.req.url);
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const scheme =
    forwarded === 'http' || forwarded === 'https' ? forwarded : url.protocol.slice(0, -1);
  const hostHeader = c.req.header('host');
  const host = hostHeader && HOST.test(hostHeader) ? hostHeader : url.host;
  return `${scheme}://${host}`;
}
