import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH string: a uint32 length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export interface DeployKey {
  /** `ssh-ed25519 AAAA… <comment>`, one line, ready for authorized_keys or a forge's deploy keys. */
  publicKey: string;
  /** The private key in OpenSSH's own format (PKCS#8 PEM is refused by OpenSSH for Ed25519). */
  privateKey: string;
}

/**
 * A new Ed25519 deploy key. The private key file follows PROTOCOL.key of OpenSSH: magic,
 * cipher "none", kdf "none", one public key, then the private section padded to 8 bytes.
 */
export function generateDeployKey(comment: string): DeployKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(jwk.x!, 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let secret = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const file = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]);
  const body = file
    .toString('base64')
    .match(/.{1,70}/g)!
    .join('\n');
  return {
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`,
  };
}

/** `SHA256:…` of a base64 key blob, as `ssh-keygen -l` prints it. */
export function keyFingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}
