/** What a secret becomes in a log line or an error. */
export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of each secret in a text, longest first, so that a secret that
 * contains another is hidden whole. With no secrets, the text passes unchanged.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => sorted.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}
