import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestApp } from './testing.js';

const CLIENT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard', 'client');

function clientSources(dir = CLIENT_DIR): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return clientSources(path);
    return entry.name.endsWith('.ts') ? [{ path, text: readFileSync(path, 'utf8') }] : [];
  });
}

describe('dashboard assets', () => {
  it('serves the HTML shell at / without auth, locked down by a same-origin CSP', async () => {
    const { call } = await createTestApp();
    const res = await call('GET', '/', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.text).toContain('<script type="module" src="/assets/app.js"></script>');
    // Everything ships in the package: no inline script and nothing from another origin.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves one script, one stylesheet and an icon, revalidated by ETag', async () => {
    const { call } = await createTestApp();
    for (const [path, type] of [
      ['/assets/app.js', 'text/javascript'],
      ['/assets/app.css', 'text/css'],
      ['/assets/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await call('GET', path, { token: null });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.text.length).toBeGreaterThan(100);
      const etag = res.headers.get('etag')!;
      const again = await call('GET', path, { token: null, headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });

  it('gzips the script and stylesheet for browsers that accept it, and nothing else', async () => {
    const { call } = await createTestApp();
    const headers = { 'accept-encoding': 'gzip' };
    const script = await call('GET', '/assets/app.js', { token: null, headers });
    expect(script.headers.get('content-encoding')).toBe('gzip');
    const api = await call('GET', '/api/v1/projects', { headers });
    expect(api.headers.get('content-encoding')).toBeNull();
  });

  it('fetches nothing from elsewhere: no external fonts, imports or URLs in CSS', async () => {
    const { call } = await createTestApp();
    const css = (await call('GET', '/assets/app.css', { token: null })).text;
    expect(css).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//);
    expect(css).not.toMatch(/@font-face/);
  });
});

describe('dashboard script', () => {
  it('never turns strings into markup', async () => {
    const { call } = await createTestApp();
    const script = (await call('GET', '/assets/app.js', { token: null })).text;
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
    ]) {
      expect(script, sink).not.toContain(sink);
    }
    for (const { path, text } of clientSources()) {
      expect(text, path).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|DOMParser|createContextualFragment/,
      );
    }
  });

  it('imports only its own modules, protocol types and zod-free protocol data: nothing of Node or the server', () => {
    let checked = 0;
    for (const { path, text } of clientSources()) {
      if (path.endsWith('.test.ts')) continue;
      for (const [, statement, from] of text.matchAll(/^(import[^;]*?)from '([^']+)';/gms)) {
        checked += 1;
        const allowed =
          from!.startsWith('./') ||
          (from!.startsWith('../') && !from!.startsWith('../../')) ||
          (from === '@berth/protocol' && statement!.startsWith('import type')) ||
          from === '@berth/protocol/engines';
        expect(allowed, `${path}: ${statement!.trim()} from '${from}'`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('loads only from its own origin', async () => {
    const { call } = await createTestApp();
    const script = (await call('GET', '/assets/app.js', { token: null })).text;
    expect(script).not.toMatch(/\bimport\s*\(|from\s*["'](https?:)?\/\//);
    expect(script).not.toMatch(/fetch\(\s*["'`]https?:/);
  });
});
