import { posix } from 'node:path';
import { z } from 'zod';

// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A display name: any printable text, since the dashboard escapes it. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((value) => !CONTROL_CHARS.test(value), 'must not contain control characters');

/**
 * A git branch, tag or commit SHA, following `git check-ref-format` rules.
 * A leading "-" is refused so a ref can never be read as a git option.
 */
export const gitRefSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine((ref) => !ref.startsWith('-'), 'must not start with "-"')
  .refine(
    (ref) => !CONTROL_CHARS.test(ref) && !/[\s~^:?*[\\]/.test(ref),
    'must not contain spaces, control characters or any of ~ ^ : ? * [ \\',
  )
  .refine(
    (ref) =>
      !ref.includes('..') &&
      !ref.includes('@{') &&
      !ref.includes('//') &&
      !ref.startsWith('/') &&
      !ref.endsWith('/') &&
      !ref.endsWith('.') &&
      !ref.endsWith('.lock') &&
      ref !== '@' &&
      !ref.split('/').some((part) => part.startsWith('.')),
    'is not a valid git ref name',
  );

const URL_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:']);
// Neither the user, the host nor the path may start with "-": ssh would read it as an option.
const SCP_LIKE =
  /^[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9._~/][A-Za-z0-9._~/-]*$/;

/** A repository URL: https, http, ssh or git URL, or scp-like `user@host:path`. */
export const repositoryUrlSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((url) => !url.startsWith('-'), 'must not start with "-"')
  .refine((url) => !CONTROL_CHARS.test(url) && !/\s/.test(url), 'must not contain whitespace')
  .refine((url) => {
    if (SCP_LIKE.test(url)) return true;
    try {
      const parsed = new URL(url);
      return (
        URL_SCHEMES.has(parsed.protocol) &&
        parsed.hostname.length > 0 &&
        !parsed.hostname.startsWith('-') &&
        !parsed.username.startsWith('-')
      );
    } catch {
      return false;
    }
  }, 'must be an https://, http://, ssh:// or git:// URL, or user@host:path');

// Docker reference grammar (distribution/reference), simplified to what the engine accepts.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** A registry host as an image reference names it: `host[:port]`, no scheme, no path. */
export const REGISTRY_HOST = new RegExp(`^${DOMAIN}$`);

/** Like Docker: the first component names a registry only if it has a "." or ":" or is localhost. */
function isImageReference(image: string): boolean {
  const match = IMAGE_REFERENCE.exec(image);
  if (!match) return false;
  const [first, ...rest] = match[1]!.split('/');
  const isRegistry = rest.length > 0 && (/[.:]/.test(first!) || first === 'localhost');
  return isRegistry || new RegExp(`^${PATH_COMPONENT}$`).test(first!);
}

/** An image reference: `name[:tag]` or `name@sha256:<64 hex>`, optionally with a registry. */
export const imageReferenceSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  .refine(
    isImageReference,
    'must be an image reference such as "name:tag", "registry:5000/name:tag" or "name@sha256:<64 hex digits>"',
  );

export interface ParsedImageReference {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(image: string): ParsedImageReference | null {
  const match = isImageReference(image) ? IMAGE_REFERENCE.exec(image) : null;
  if (!match) return null;
  const [, name, tag, digest] = match;
  return {
    name: name!,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** A path relative to the checkout that cannot climb out of it. */
export const checkoutPathSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .refine((path) => !CONTROL_CHARS.test(path), 'must not contain control characters')
  .refine((path) => !path.startsWith('/') && !path.startsWith('-'), 'must be a relative path')
  .refine((path) => {
    const normalized = posix.normalize(path);
    return normalized !== '..' && !normalized.startsWith('../');
  }, 'must stay inside the repository checkout');

export const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid variable name (letters, digits, _)')
  .max(255);

export const envSchema = z
  .record(
    envNameSchema,
    z
      .string()
      .max(32_768)
      .refine((v) => !v.includes('\u0000'), 'must not contain NUL'),
  )
  .refine((env) => Object.keys(env).length <= 500, 'must have at most 500 variables');

export const portNumberSchema = z.number().int().min(1).max(65535);
