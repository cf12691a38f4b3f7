import type { Config } from './config.js';
import { randomToken } from './crypto.js';
import { readOrCreateAdminToken } from './store/admin-token-file.js';

export interface AdminToken {
  token: string;
  /** The file a freshly generated token was saved to; set only on the start that made it. */
  savedTo?: string;
}

/** BERTH_ADMIN_TOKEN, else the token kept in the data dir, else a new one saved there (0600). */
export async function resolveAdminToken(config: Config): Promise<AdminToken> {
  if (config.adminToken !== undefined) return { token: config.adminToken };
  const file = await readOrCreateAdminToken(config.dataDir, randomToken);
  return file.created ? { token: file.token, savedTo: file.path } : { token: file.token };
}
