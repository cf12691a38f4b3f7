import { readFile } from 'node:fs/promises';
import {
  proxyRouteSchema,
  proxySettingsSchema,
  type ProxyRoute,
  type ProxySettings,
} from '@berth/protocol';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-write.js';

/** The proxy's desired state: the last `proxy.sync` the control plane sent. */
export interface ProxyDesired {
  settings: ProxySettings;
  routes: ProxyRoute[];
}

const desiredSchema = z.object({
  settings: proxySettingsSchema,
  routes: z.array(proxyRouteSchema).max(10_000),
});

/**
 * The last sync, kept so that after an agent restart the proxy can be repaired before the
 * control plane is reachable. Null when there is none or it cannot be read.
 */
export async function readDesired(path: string): Promise<ProxyDesired | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = desiredSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeDesired(path: string, desired: ProxyDesired): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(desired)}\n`, 0o600);
}
