import { describeIssues } from '@berth/protocol';
import type { Context } from 'hono';
import type { z } from 'zod';
import { BerthError } from '../errors.js';

/**
 * Parses the JSON body against `schema`. An empty body counts as `{}`. Invalid input becomes a 400
 * that names every bad field, both in `fields` and in the message.
 */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new BerthError('INVALID_INPUT', 'the request body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw invalidFields(describeBodyIssues(parsed.error));
}

/** describeIssues, with a record key's own complaint (e.g. a bad env name) in place of zod's generic one. */
export function describeBodyIssues(error: z.ZodError): { path: string; message: string }[] {
  return describeIssues(error).map((field, index) => {
    const issue = error.issues[index];
    if (issue?.code !== 'invalid_key' || issue.issues.length === 0) return field;
    return {
      path: field.path,
      message: `name ${issue.issues.map((inner) => inner.message).join('; ')}`,
    };
  });
}

export function invalidFields(fields: { path: string; message: string }[]): BerthError {
  const summary = fields.map((field) => `${field.path}: ${field.message}`).join('; ');
  return new BerthError('INVALID_INPUT', `invalid request: ${summary}`, { fields });
}

/** Parses the query string against `schema`; invalid input becomes a 400 naming each bad field. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalidFields(describeBodyIssues(parsed.error));
  return parsed.data;
}
