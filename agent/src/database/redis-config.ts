/** Where the agent puts the redis configuration inside the container. */
export const REDIS_CONFIG_PATH = '/etc/berth/redis.conf';
/** The official image runs redis-server as this user, so it must own the (0600) file. */
export const REDIS_USER = 'redis';
export const REDIS_COMMAND = ['redis-server', REDIS_CONFIG_PATH];

/** A value as redis.conf reads a double-quoted argument: backslash escapes, \xHH for the rest. */
function quoted(value: string): string {
  let out = '';
  for (const char of Buffer.from(value, 'utf8')) {
    if (char === 0x22 || char === 0x5c) out += `\\${String.fromCharCode(char)}`;
    else if (char >= 0x20 && char < 0x7f) out += String.fromCharCode(char);
    else out += `\\x${char.toString(16).padStart(2, '0')}`;
  }
  return `"${out}"`;
}

/**
 * The configuration file: the password lives here, never in the command line. Snapshots
 * keep the data across restarts; append-only files stay off so a backup is one RDB file.
 */
export function redisConfig(password: string): string {
  return [
    `requirepass ${quoted(password)}`,
    'dir /data',
    'appendonly no',
    'save 3600 1 300 100 60 10000',
    'protected-mode no',
    'port 6379',
    'bind 0.0.0.0',
    '',
  ].join('\n');
}
