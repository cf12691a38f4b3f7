import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { readTextIfExists } from './files.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminTokenFile {
  token: string;
  path: string;
  /** True when this call generated the token, so it must be shown once. */
  created: boolean;
}

/** Reads `<dataDir>/admin-token`, or writes `generate()` to it (mode 0600) when it is absent. */
export async function readOrCreateAdminToken(
  dataDir: string,
  generate: () => string,
): Promise<AdminTokenFile> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readExisting(path);
  if (existing !== null) return { token: existing, path, created: false };
  const token = generate();
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(`${token}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { token, path, created: true };
}

async function readExisting(path: string): Promise<string | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const token = text.trim();
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new BerthError(
      'DATA_CORRUPT',
      `${path} must hold one token of printable characters; delete it to have a new one generated`,
    );
  }
  return token;
}
