// How the dashboard shows secrets: hidden until the user reveals them. Values never go into a
// URL, the console or an attribute; copying reads them at the moment of the click.

export const MASK = '••••••••';

/** The URL with its password replaced by the mask; unchanged when it holds none. */
export function maskUrlPassword(url: string, password: string): string {
  if (!password) return url;
  const encoded = encodeURIComponent(password);
  return url.split(`:${encoded}@`).join(`:${MASK}@`);
}

/** A secret as shown: the mask until revealed; empty stays empty, so "none" is visible. */
export function shownSecret(value: string, revealed: boolean): string {
  if (revealed || value === '') return value;
  return MASK;
}
