import { describe, expect, it } from 'vitest';
import { generateSecretKey, SecretBox, sealedKeyId, secretKeyOf } from './secret-box.js';

const boxOf = (key = generateSecretKey()) =>
  new SecretBox({ sealing: key, keySource: '/data/secret.key' });

describe('SecretBox', () => {
  it('seals to a versioned value that names its key and opens it again', () => {
    const key = generateSecretKey();
    const box = boxOf(key);
    const sealed = box.seal('hunter2 ünïcode');
    expect(sealed).toMatch(/^berth:v1:[0-9a-f]{16}:[\w-]{16}:[\w-]+:[\w-]{22}$/);
    expect(sealed).not.toContain('hunter2');
    expect(sealedKeyId(sealed)).toBe(key.id);
    expect(box.open(sealed, 'db.json services[0].env.PASSWORD')).toBe('hunter2 ünïcode');
    expect(box.open(box.seal(''), 'x')).toBe('');
  });

  it('never seals the same value to the same text', () => {
    const box = boxOf();
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses a value whose ciphertext, tag or key id was changed', () => {
    const box = boxOf();
    const sealed = box.seal('a secret value');
    const parts = sealed.split(':');
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    const tampered = [3, 4, 5].map((i) => parts.map((p, j) => (j === i ? flip(p) : p)).join(':'));
    for (const value of tampered) {
      expect(() => box.open(value, 'db.json services[0].env.X')).toThrow(
        /db\.json services\[0\]\.env\.X does not open under key id [0-9a-f]{16}: the value was changed or damaged/,
      );
    }
    // The same ciphertext relabelled with another key id the box holds does not open either.
    const other = generateSecretKey();
    box.useSealingKey(other);
    const relabelled = [parts[0], parts[1], other.id, ...parts.slice(3)].join(':');
    expect(() => box.open(relabelled, 'x')).toThrow(/does not open under key id/);
    expect(() => box.open('berth:v1:garbage', 'x')).toThrow(/x is not a sealed Berth secret/);
  });

  it('names both key ids when the value was sealed under a key it does not hold', () => {
    const sealer = generateSecretKey();
    const sealed = boxOf(sealer).seal('value');
    const wrong = generateSecretKey();
    expect(() => boxOf(wrong).open(sealed, '/data/db.json services[0].env.TOKEN')).toThrow(
      `/data/db.json services[0].env.TOKEN is sealed under key id ${sealer.id} but the key in /data/secret.key is key id ${wrong.id}; restore the right secret.key`,
    );
  });

  it('opens values under every key it holds while sealing under the newest', () => {
    const old = generateSecretKey();
    const box = boxOf(old);
    const before = box.seal('before');
    const next = generateSecretKey();
    box.useSealingKey(next);
    expect(sealedKeyId(box.seal('after'))).toBe(next.id);
    expect(box.open(before, 'x')).toBe('before');
    box.dropOtherKeys();
    expect(box.keyIds).toEqual([next.id]);
    expect(() => box.open(before, 'x')).toThrow(`sealed under key id ${old.id}`);
  });

  it('derives the same id from the same key bytes and refuses keys of the wrong size', () => {
    const bytes = Buffer.alloc(32, 1);
    expect(secretKeyOf(bytes).id).toBe(secretKeyOf(Buffer.from(bytes)).id);
    expect(secretKeyOf(bytes).id).not.toBe(secretKeyOf(Buffer.alloc(32, 2)).id);
    expect(() => secretKeyOf(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
