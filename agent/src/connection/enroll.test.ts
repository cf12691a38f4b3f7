import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { challengeSigningPayload } from '@berth/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../config.js';
import { AgentError, isRetryable } from '../errors.js';
import { FakeControlPlane, startFakeControlPlane } from '../testing/fake-cp-server.js';
import { createMemoryLogger } from '../testing/memory-logger.js';
import { enrollAgent } from './enroll-agent.js';
import {
  IDENTITY_FILE,
  KEY_FILE,
  loadIdentity,
  prepareStateDir,
  signChallenge,
} from './identity.js';

let cp: FakeControlPlane;
let root: string;
let stateDir: string;

beforeEach(async () => {
  cp = await startFakeControlPlane();
  root = await mkdtemp(join(tmpdir(), 'berth-enroll-'));
  stateDir = join(root, 'state');
});

afterEach(async () => {
  await cp.close();
  await rm(root, { recursive: true, force: true });
});

function config(controlPlaneUrl = cp.url): AgentConfig {
  return {
    controlPlaneUrl,
    joinToken: undefined,
    stateDir,
    statusPort: 0,
    name: 'node-1',
    reconnectMaxMs: 1000,
    keepImages: 5,
    pruneSchedule: '17 * * * *',
    proxy: { image: 'caddy:2', httpPort: 80, httpsPort: 443, bind: '127.0.0.1' },
  };
}

async function enrollWith(joinToken: string, logger = createMemoryLogger()) {
  await prepareStateDir(stateDir);
  return enrollAgent({
    config: config(),
    joinToken,
    logger,
    signal: new AbortController().signal,
    sleep: async () => {},
    random: () => 0,
  });
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('enrollment', () => {
  it('trades a join token for an identity kept in private files', async () => {
    cp.tokens.set('tok_good', 'valid');
    const logger = createMemoryLogger();
    const identity = await enrollWith('tok_good', logger);

    expect(identity.agentId).toBe('srv_1');
    expect(await mode(stateDir)).toBe(0o700);
    expect(await mode(join(stateDir, KEY_FILE))).toBe(0o600);
    expect(await mode(join(stateDir, IDENTITY_FILE))).toBe(0o600);
    expect(JSON.parse(await readFile(join(stateDir, IDENTITY_FILE), 'utf8'))).toEqual({
      agentId: 'srv_1',
      name: 'node-1',
    });
    expect(await readFile(join(stateDir, KEY_FILE), 'utf8')).toContain('BEGIN PRIVATE KEY');
    // The key the control plane got is the one that signs: a challenge answer verifies.
    const publicKey = createPublicKey({
      key: Buffer.from(cp.agents.get('srv_1')!.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    const signature = Buffer.from(signChallenge(identity, 'n'.repeat(32)), 'base64');
    expect(
      verify(null, challengeSigningPayload('n'.repeat(32), 'srv_1'), publicKey, signature),
    ).toBe(true);
    expect(logger.text()).not.toContain('tok_good');
    // No temporary file is left behind by the atomic writes.
    expect((await readdir(stateDir)).sort()).toEqual([IDENTITY_FILE, KEY_FILE].sort());
  });

  it('reuses the saved identity on later starts', async () => {
    cp.tokens.set('tok_good', 'valid');
    const first = await enrollWith('tok_good');
    const again = await loadIdentity(stateDir);
    expect(again?.agentId).toBe(first.agentId);
    expect(again?.privateKey.equals(first.privateKey)).toBe(true);
    expect(cp.enrollRequests).toHaveLength(1);
  });

  it('fails with the control plane message when the token was already used', async () => {
    cp.tokens.set('tok_used', 'used');
    const error = await enrollWith('tok_used').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('JOIN_TOKEN_USED');
    expect(isRetryable(error)).toBe(false);
    expect((error as AgentError).message).toContain('this join token is used');
    expect((error as AgentError).message).toContain('set BERTH_JOIN_TOKEN');
    expect((error as AgentError).message).not.toContain('tok_used');
    await expect(loadIdentity(stateDir)).resolves.toBeNull();
  });

  it('names expired and unknown tokens too', async () => {
    cp.tokens.set('tok_old', 'expired');
    await expect(enrollWith('tok_old')).rejects.toMatchObject({ code: 'JOIN_TOKEN_EXPIRED' });
    await expect(enrollWith('tok_nope')).rejects.toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
  });

  it('retries while the control plane answers 5xx, logging the failure once', async () => {
    cp.tokens.set('tok_good', 'valid');
    cp.failNextEnrollments = 3;
    const logger = createMemoryLogger();
    const identity = await enrollWith('tok_good', logger);
    expect(identity.agentId).toBe('srv_1');
    expect(
      logger.lines.filter((line) => line.message.startsWith('enrollment failed')),
    ).toHaveLength(1);
  });

  it('retries while the control plane cannot be reached', async () => {
    cp.tokens.set('tok_good', 'valid');
    const target = cp.url;
    await cp.close();
    let sleeps = 0;
    await prepareStateDir(stateDir);
    const enrolled = enrollAgent({
      config: config(target),
      joinToken: 'tok_good',
      logger: createMemoryLogger(),
      signal: new AbortController().signal,
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 2) {
          // The control plane comes up on the same port while the agent waits.
          cp = new FakeControlPlane();
          cp.tokens.set('tok_good', 'valid');
          await cp.start(Number(target.port));
        }
      },
      random: () => 0,
    });
    await expect(enrolled).resolves.toMatchObject({ agentId: 'srv_1' });
    expect(sleeps).toBeGreaterThanOrEqual(2);
  });

  it('refuses a corrupt identity file with a message that says how to recover', async () => {
    await prepareStateDir(stateDir);
    await writeFile(join(stateDir, IDENTITY_FILE), '{not json');
    await expect(loadIdentity(stateDir)).rejects.toThrow(
      /identity\.json is not valid JSON; .*BERTH_JOIN_TOKEN/,
    );
  });
});
