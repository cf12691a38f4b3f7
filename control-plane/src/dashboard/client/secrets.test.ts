import { describe, expect, it } from 'vitest';
import { MASK, maskUrlPassword, shownSecret } from './secrets.js';

describe('maskUrlPassword', () => {
  it('hides the password of a URL with a user', () => {
    expect(maskUrlPassword('postgres://app:s3cret@db:5432/app', 's3cret')).toBe(
      `postgres://app:${MASK}@db:5432/app`,
    );
  });

  it('hides it without a user and when URL-encoded', () => {
    expect(maskUrlPassword('redis://:a%2Fb@cache:6379', 'a/b')).toBe(`redis://:${MASK}@cache:6379`);
  });

  it('leaves a URL without the password alone', () => {
    expect(maskUrlPassword('postgres://db:5432/app', 'x')).toBe('postgres://db:5432/app');
    expect(maskUrlPassword('postgres://app:@db:5432/app', '')).toBe('postgres://app:@db:5432/app');
  });
});

describe('shownSecret', () => {
  it('masks until revealed', () => {
    expect(shownSecret('pw', false)).toBe(MASK);
    expect(shownSecret('pw', true)).toBe('pw');
    expect(shownSecret('', false)).toBe('');
  });
});
