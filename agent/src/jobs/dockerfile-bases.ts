/**
 * The base images a Dockerfile starts from, in order: every `FROM` image that is
 * not an earlier stage, not `scratch`, and not built from a build argument.
 */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    const match = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!match) continue;
    const image = match[1]!;
    const alias = match[2];
    if (
      !stages.has(image.toLowerCase()) &&
      image !== 'scratch' &&
      !image.includes('$') &&
      !bases.includes(image)
    ) {
      bases.push(image);
    }
    if (alias) stages.add(alias.toLowerCase());
  }
  return bases;
}
