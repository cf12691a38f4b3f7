/**
 * A notification URL as it may be shown or logged: scheme and host only. Slack and Discord
 * webhook URLs carry their token in the path, and any URL may carry one in its query or user
 * info, so none of those is ever shown.
 */
export function maskUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(invalid URL)';
  }
  const hidden = url.pathname !== '/' || url.search !== '' ? '/…' : '/';
  return `${url.protocol}//${url.host}${hidden}`;
}
