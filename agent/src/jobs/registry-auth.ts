/**
 * Registry credentials inside a job: which one a pull or a build uses, how a refused login
 * becomes a failure a person can act on, and how a password is kept out of every line the job
 * writes. The credentials live only in the job spec, in memory, for the job's duration.
 */
import { registryHostOf, type RegistryAuth } from '@berth/protocol';
import { AgentError } from '../errors.js';

/**
 * What Docker Engine 20.10 says when a registry refuses a pull or a build's base image: "no
 * basic auth credentials" without a login, "unauthorized: authentication required" with a wrong
 * one ("incorrect username or password" on Docker Hub).
 */
const AUTH_REFUSED =
  /no basic auth credentials|unauthorized|authentication required|incorrect username or password/i;
/** The classic builder's failure of a RUN step, whose command may print anything. */
const RUN_STEP_FAILED = /^The command .* returned a non-zero code: \d+$/s;

export function isAuthRefusal(message: string): boolean {
  return AUTH_REFUSED.test(message);
}

/** A build failed because a registry refused to give a FROM image, not in one of its steps. */
export function isBuildAuthRefusal(error: string): boolean {
  return isAuthRefusal(error) && !RUN_STEP_FAILED.test(error.trim());
}

/** The credential for the registry `image` pulls from, if the job carries one. */
export function credentialFor(
  auths: readonly RegistryAuth[] | undefined,
  image: string,
): RegistryAuth | undefined {
  const host = registryHostOf(image);
  return auths?.find((auth) => auth.host === host);
}

/** The credentials of the registries these base images come from; the job may carry more. */
export function credentialsForBases(
  auths: readonly RegistryAuth[] | undefined,
  bases: readonly string[],
): RegistryAuth[] {
  const hosts = new Set(bases.map(registryHostOf));
  return (auths ?? []).filter((auth) => hosts.has(auth.host));
}

/** "authentication failed for <host>", with what to do about it. */
export function authFailure(host: string, sent: boolean, detail: string): AgentError {
  const advice = sent
    ? `the registry refused the credential Berth sent for ${host}; correct it with PATCH /api/v1/registries/<id> (GET /api/v1/registries lists them)`
    : `the registry wants a login and Berth has no credential for ${host}; add one with POST /api/v1/registries`;
  return new AgentError('AUTH_FAILED', `authentication failed for ${host}: ${advice} (${detail})`);
}

/**
 * The registry a failed build's login was refused by: the one the error names, else the first
 * base image's registry a credential was sent for, else the first base image's registry.
 */
export function refusingHost(
  error: string,
  bases: readonly string[],
  sent: readonly RegistryAuth[],
): string | undefined {
  const hosts = bases.map(registryHostOf);
  return (
    hosts.find((host) => error.includes(host)) ??
    hosts.find((host) => sent.some((auth) => auth.host === host)) ??
    hosts[0]
  );
}

/**
 * The secrets a registry login could show in a line of text: each password and its HTTP
 * basic-auth form. An engine or registry message that echoes a login must not carry it into a
 * log or an error.
 */
export function registrySecrets(auths: readonly RegistryAuth[] | undefined): string[] {
  return (auths ?? []).flatMap((auth) => [
    auth.password,
    Buffer.from(`${auth.username}:${auth.password}`).toString('base64'),
  ]);
}
