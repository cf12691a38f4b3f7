/**
 * Which fields of stored records hold secrets. A path names fields by property, and `*` stands
 * for every item of an array or every value of an object; the string at the end is sealed.
 * Sealing a new kind of record is one more line here, e.g. `'registries.*.password'`.
 */

/** Fields of db.json. */
export const DB_SECRET_FIELDS: readonly string[] = [
  // Env values of every service, database passwords included.
  'services.*.env.*',
  'registries.*.password',
  // A deploy key (ssh) or a token (https); a credential has one of them.
  'gitCredentials.*.privateKey',
  'gitCredentials.*.token',
  'services.*.webhookSecret',
  'notificationTargets.*.secret',
  // Slack and Discord webhook URLs carry their token in the path.
  'notificationTargets.*.url',
  // Two-factor secrets: whoever has one can make codes.
  'users.*.totp.secret',
  'users.*.totp.pendingSecret',
];

/** Fields of a job in the history store: the service as it was deployed. */
export const JOB_SECRET_FIELDS: readonly string[] = ['service.env.*'];

/** `where` names a field for messages, e.g. `services[2].env.API_KEY`; never its value. */
export type FieldMapper = (value: string, where: string) => string;

/**
 * A copy of `record` with `map` applied to every string at `paths`; the rest is shared, not
 * copied. Paths that are absent are skipped.
 */
export function mapSecretFields<T>(record: T, paths: readonly string[], map: FieldMapper): T {
  let result: unknown = record;
  for (const path of paths) result = mapAt(result, path.split('.'), '', map);
  return result as T;
}

/** Calls `visit` on every string at `paths`, e.g. to find values that are not sealed yet. */
export function forEachSecretField(
  record: unknown,
  paths: readonly string[],
  visit: (value: string, where: string) => void,
): void {
  mapSecretFields(record, paths, (value, where) => {
    visit(value, where);
    return value;
  });
}

function mapAt(node: unknown, path: string[], where: string, map: FieldMapper): unknown {
  if (path.length === 0) return typeof node === 'string' ? map(node, where) : node;
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(node)) {
    if (head !== '*') return node;
    return node.map((item, index) => mapAt(item, rest, `${where}[${index}]`, map));
  }
  if (typeof node !== 'object' || node === null) return node;
  const object = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(object) : Object.hasOwn(object, head) ? [head] : [];
  if (keys.length === 0) return node;
  const copy: Record<string, unknown> = { ...object };
  for (const key of keys) copy[key] = mapAt(object[key], rest, join(where, key), map);
  return copy;
}

function join(where: string, key: string): string {
  return where === '' ? key : `${where}.${key}`;
}
