import { z } from 'zod';

// Team access: users with a role per project, personal API tokens with scopes, invites.

/**
 * A user's role in a project. `admin`: everything in the project. `deployer`: deploy, redeploy,
 * restart, stop, rollback, cancel, backup and restore, but no env values or secrets and no
 * changes to sources. `viewer`: read-only, never a secret.
 */
export const projectRoleSchema = z.enum(['admin', 'deployer', 'viewer']);
export type ProjectRole = z.infer<typeof projectRoleSchema>;

/** `owner`: everything, plus users and settings. `member`: what `projects` grants. */
export const accountRoleSchema = z.enum(['owner', 'member']);
export type AccountRole = z.infer<typeof accountRoleSchema>;

/** Project id → role; the key `*` grants the role in every project, present and future. */
export const projectGrantsSchema = z
  .record(z.string().min(1).max(64), projectRoleSchema)
  .refine((grants) => Object.keys(grants).length <= 500, 'at most 500 projects');
export type ProjectGrants = z.infer<typeof projectGrantsSchema>;

/** What a personal API token may do, within what its user may do. */
export const tokenScopeSchema = z.enum(['read', 'deploy', 'admin']);
export type TokenScope = z.infer<typeof tokenScopeSchema>;

/** Who did something: on audit entries and as a deployment's or backup's `triggeredBy`. */
export const actorSchema = z.object({
  type: z.enum(['user', 'token', 'admin-token', 'webhook', 'schedule', 'anonymous']),
  /** The user, token or service (webhooks) id. */
  id: z.string().optional(),
  /** The user or token name, or what a failed sign-in tried. */
  name: z.string(),
  /** A token's user. */
  userId: z.string().optional(),
});
export type Actor = z.infer<typeof actorSchema>;

/** Login names: lowercase letters, digits, `.`, `_`, `-`, `@`; 1 to 64 characters. */
export const userNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._@-]*$/, 'use lowercase letters, digits, ".", "_", "-" or "@"');

export const MIN_PASSWORD_LENGTH = 12;
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024);

export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: accountRoleSchema,
  projects: projectGrantsSchema,
  totpEnabled: z.boolean(),
  hasPassword: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.string(),
  lastSignInAt: z.string().optional(),
});
export type User = z.infer<typeof userSchema>;

export const createInviteBodySchema = z
  .object({ projects: projectGrantsSchema.default({}), note: z.string().max(200).optional() })
  .strict();

export const inviteSchema = z.object({
  id: z.string(),
  projects: projectGrantsSchema,
  note: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string(),
  usedAt: z.string().optional(),
  /** Only in the answer that creates it: the one-time link to pass on. */
  url: z.string().optional(),
  token: z.string().optional(),
});
export type Invite = z.infer<typeof inviteSchema>;

export const acceptInviteBodySchema = z
  .object({ token: z.string().min(1).max(256), name: userNameSchema, password: passwordSchema })
  .strict();

export const patchUserBodySchema = z
  .object({ projects: projectGrantsSchema.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((body) => body.projects !== undefined || body.disabled !== undefined, {
    message: 'give "projects", "disabled", or both',
  });

export const changePasswordBodySchema = z
  .object({ current: z.string().max(1024).optional(), password: passwordSchema })
  .strict();

export const totpCodeBodySchema = z
  .object({ code: z.string().regex(/^\d{6}$/, 'the 6-digit code from the authenticator app') })
  .strict();

export const createTokenBodySchema = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z.array(tokenScopeSchema).min(1).max(3),
    projectId: z.string().min(1).max(64).optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export const apiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(tokenScopeSchema),
  projectId: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  lastUsedAt: z.string().optional(),
  /** Only in the answer that creates it. */
  token: z.string().optional(),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

/**
 * A sign-in: a user name and password (and a TOTP or recovery code once two-factor is on), or
 * the bootstrap admin token, the owner's break-glass credential.
 */
export const signInBodySchema = z.union([
  z.object({ token: z.string().min(1).max(1024) }).strict(),
  z
    .object({
      name: z.string().min(1).max(64),
      password: z.string().min(1).max(1024),
      code: z.string().min(6).max(32).optional(),
    })
    .strict(),
]);
export type SignInBody = z.infer<typeof signInBodySchema>;
