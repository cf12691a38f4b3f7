import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { dashboardAssets } from '../dashboard/assets.js';
import { FAVICON_SVG, SHELL_HTML } from '../dashboard/shell.js';

/**
 * Same-origin only: no inline script, no external anything. Even if a bug let
 * markup through, the browser would refuse to run it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  // Weak: the same asset goes out gzipped or not, byte-different but equivalent.
  const etag = `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag };
}

function send(c: Context, item: Asset): Response {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  // Revalidate every time: one round trip, and a new release is seen at once.
  c.header('Cache-Control', 'no-cache');
  c.header('ETag', item.etag);
  if (c.req.header('if-none-match') === item.etag) return c.body(null, 304);
  c.header('Content-Type', item.type);
  return c.body(item.body);
}

/** The dashboard: one HTML shell, one script, one stylesheet and an icon, all shipped in the package. */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  const shell = asset(SHELL_HTML, 'text/html; charset=utf-8');
  const favicon = asset(FAVICON_SVG, 'image/svg+xml');
  let bundled: Promise<{ script: Asset; styles: Asset }> | undefined;
  const assets = () =>
    (bundled ??= dashboardAssets().then(
      ({ script, styles }) => ({
        script: asset(script, 'text/javascript; charset=utf-8'),
        styles: asset(styles, 'text/css; charset=utf-8'),
      }),
      (err: unknown) => {
        // Try again on the next request rather than serve the failure forever.
        bundled = undefined;
        throw err;
      },
    ));

  // Per route: a '*' middleware here would reach every route of the parent app.
  const gzip = compress();
  app.get('/', (c) => send(c, shell));
  app.get('/assets/app.css', gzip, async (c) => send(c, (await assets()).styles));
  app.get('/assets/favicon.svg', (c) => send(c, favicon));
  app.get('/assets/app.js', gzip, async (c) => send(c, (await assets()).script));
  return app;
}
