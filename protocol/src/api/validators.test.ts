import { describe, expect, it } from 'vitest';
import {
  checkoutPathSchema,
  gitRefSchema,
  imageReferenceSchema,
  parseImageReference,
  repositoryUrlSchema,
} from './validators.js';

describe('gitRefSchema', () => {
  it.each(['main', 'release/1.2', 'v1.0.0', 'a'.repeat(40), 'feature_x-y'])('accepts %s', (ref) => {
    expect(gitRefSchema.safeParse(ref).success).toBe(true);
  });
  it.each([
    '-x',
    '--upload-pack=touch /tmp/x;git-upload-pack',
    'a..b',
    'has space',
    'x~1',
    'x^',
    'x:y',
    'refs/.hidden',
    'x.lock',
    'x/',
    '@',
    'a@{1}',
    '',
  ])('refuses %j', (ref) => {
    expect(gitRefSchema.safeParse(ref).success).toBe(false);
  });
});

describe('repositoryUrlSchema', () => {
  it.each([
    'https://github.com/acme/app.git',
    'http://127.0.0.1:9418/app.git',
    'ssh://git@host:22/acme/app.git',
    'git://127.0.0.1/app.git',
    'git@github.com:acme/app.git',
    'ssh://git@127.0.0.1:2222/srv/app.git',
    'git@git.example.com:srv/app.git',
  ])('accepts %s', (url) => {
    expect(repositoryUrlSchema.safeParse(url).success).toBe(true);
  });
  it.each([
    '-oProxyCommand=x',
    'ext::sh -c touch% /tmp/x',
    'file:///etc',
    '/srv/repo',
    'https://a b',
    'git@-oProxyCommand=x:app.git',
    'git@host:-oProxyCommand',
    '-git@host:app.git',
    'ssh://-oProxyCommand=x/app.git',
    'ssh://-user@host/app.git',
    '',
  ])('refuses %j', (url) => {
    expect(repositoryUrlSchema.safeParse(url).success).toBe(false);
  });
});

describe('imageReferenceSchema', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it.each([
    'nginx',
    'nginx:1.27',
    '127.0.0.1:5000/team/app:v2',
    `app@${digest}`,
    `reg.io/app:v1@${digest}`,
  ])('accepts %s', (image) => {
    expect(imageReferenceSchema.safeParse(image).success).toBe(true);
  });
  it.each(['Upper/case', 'app:', 'app@sha256:short', '-app', 'app tag', ':tag'])(
    'refuses %j',
    (image) => {
      expect(imageReferenceSchema.safeParse(image).success).toBe(false);
    },
  );
  it('splits name, tag and digest', () => {
    expect(parseImageReference(`127.0.0.1:5000/app:v1@${digest}`)).toEqual({
      name: '127.0.0.1:5000/app',
      tag: 'v1',
      digest,
    });
    expect(parseImageReference('127.0.0.1:5000/app')).toEqual({ name: '127.0.0.1:5000/app' });
  });
});

describe('checkoutPathSchema', () => {
  it.each(['Dockerfile', 'docker/Dockerfile.prod', '.', './app', 'a/../b'])(
    'accepts %s',
    (path) => {
      expect(checkoutPathSchema.safeParse(path).success).toBe(true);
    },
  );
  it.each(['../Dockerfile', '/etc/passwd', 'a/../../b', '..', '-f'])('refuses %j', (path) => {
    expect(checkoutPathSchema.safeParse(path).success).toBe(false);
  });
});
