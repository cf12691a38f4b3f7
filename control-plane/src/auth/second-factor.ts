import { randomBytes } from 'node:crypto';
import { secretsEqual, sha256Hex } from '../crypto.js';
import type { AccessRecords } from '../store/access.js';
import type { UserRecord } from '../store/records.js';
import { matchTotp } from './totp.js';

/** Recovery codes given when two-factor is turned on; each works once. */
export const RECOVERY_CODES = 10;

/** Ten codes such as `4f9a-2c1e-77b0`: 48 random bits each, easy to type. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () =>
    (randomBytes(6).toString('hex').match(/.{4}/g) ?? []).join('-'),
  );
}

export function recoveryCodeHash(code: string): string {
  return sha256Hex(code.trim().toLowerCase());
}

/**
 * Checks a sign-in's second factor: a TOTP code not used before, or an unused recovery code,
 * which is then spent. `missing` when none was sent.
 */
export async function checkSecondFactor(
  access: AccessRecords,
  user: UserRecord,
  code: string | undefined,
  at: number,
): Promise<'ok' | 'missing' | 'wrong'> {
  const totp = user.totp;
  if (!totp?.secret) return 'ok';
  if (!code) return 'missing';
  if (/^\d{6}$/.test(code)) {
    const step = matchTotp(totp.secret, code, at);
    if (step === null || step <= (totp.lastStep ?? -1)) return 'wrong';
    await access.updateUser(user.id, (record) => {
      if (record.totp) record.totp.lastStep = step;
    });
    return 'ok';
  }
  const hash = recoveryCodeHash(code);
  // Every stored hash is compared, so timing does not tell which one matched.
  let found: string | undefined;
  for (const stored of totp.recoveryCodeHashes) if (secretsEqual(stored, hash)) found = stored;
  if (!found) return 'wrong';
  await access.updateUser(user.id, (record) => {
    if (record.totp) {
      record.totp.recoveryCodeHashes = record.totp.recoveryCodeHashes.filter((h) => h !== found);
    }
  });
  return 'ok';
}
