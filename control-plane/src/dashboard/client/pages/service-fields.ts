/// <reference lib="dom" />
import type { Healthcheck, PortMapping, Service, Source } from '@berth/protocol';
import { h, newId } from '../dom.js';
import { field, input } from '../ui.js';
import { databaseSourcePart } from './database-source.js';
import { fieldset, numberValue, radio } from './form-parts.js';
import { envRows, hiddenEnvList, portRows } from './list-fields.js';

export interface ServiceSettings {
  source: Source;
  ports: PortMapping[];
  /** Left out when the values are hidden from the user, so a save cannot overwrite them. */
  env?: Record<string, string>;
  healthcheck: Healthcheck;
}

/**
 * The source, ports, env and health check of a service, as form controls: used
 * by the New service form and by the Overview tab. `read()` builds the API body.
 */
export function serviceFields(initial?: Partial<Service>): {
  element: HTMLElement;
  read(): ServiceSettings;
} {
  const source = sourceFields(initial?.source);
  const ports = portRows(initial?.ports ?? []);
  const env = initial?.secretsHidden
    ? hiddenEnvList(initial.env ?? {})
    : envRows(initial?.env ?? {});
  const health = healthFields(initial?.healthcheck);
  // A database gets its port through Expose and an engine-aware health check from the agent.
  source.onTypeChange((type) => {
    ports.element.hidden = type === 'database';
    health.element.hidden = type === 'database';
  });
  const element = h(
    'div',
    { class: 'stack' },
    source.element,
    ports.element,
    env.element,
    health.element,
  );
  return {
    element,
    read: () => ({
      source: source.read(),
      ports: source.read().type === 'database' ? [] : ports.read(),
      ...(initial?.secretsHidden ? {} : { env: env.read() }),
      healthcheck: health.read(),
    }),
  };
}

function sourceFields(initial: Source | undefined) {
  const group = newId('source-type');
  const type = initial?.type ?? 'git';
  const database = databaseSourcePart(initial?.type === 'database' ? initial : undefined);
  const typeListeners: ((type: Source['type']) => void)[] = [];
  const git = initial?.type === 'git' ? initial : undefined;
  const repository = input({
    name: 'repository',
    value: git?.repository ?? '',
    placeholder: 'https://github.com/you/app.git',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const ref = input({
    name: 'ref',
    value: git?.ref ?? 'main',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const dockerfile = input({ name: 'dockerfile', value: git?.dockerfile ?? 'Dockerfile' });
  const context = input({ name: 'context', value: git?.context ?? '.' });
  const image = input({
    name: 'image',
    value: initial?.type === 'image' ? initial.image : '',
    placeholder: 'nginx:1.27 or registry.example.com/app@sha256:…',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const gitPart = h(
    'div',
    { class: 'grid-2' },
    field('Repository URL', repository, 'https, http, ssh or git URL, or user@host:path'),
    field(
      'Branch, tag or commit',
      ref,
      'To roll back, set a trusted ref here, save, then Redeploy.',
    ),
    field('Dockerfile', dockerfile),
    field('Build context', context),
  );
  const imagePart = h(
    'div',
    {},
    field('Image', image, 'To roll back, point at an earlier tag or digest, save, then Redeploy.'),
  );
  // A new service may be any kind; an existing app stays an app, a database a database.
  const choices = h(
    'div',
    { class: 'choices', attrs: { role: 'radiogroup', 'aria-label': 'Source type' } },
    initial?.type === 'database' ? null : radio(group, 'git', 'Git repository', type === 'git'),
    initial?.type === 'database' ? null : radio(group, 'image', 'Docker image', type === 'image'),
    initial && initial.type !== 'database'
      ? null
      : radio(group, 'database', 'Database', type === 'database'),
  );
  const current = (): Source['type'] => {
    const value = choices.querySelector<HTMLInputElement>('input:checked')?.value;
    return value === 'image' || value === 'database' ? value : 'git';
  };
  const sync = () => {
    gitPart.hidden = current() !== 'git';
    imagePart.hidden = current() !== 'image';
    database.element.hidden = current() !== 'database';
    for (const listener of typeListeners) listener(current());
  };
  choices.addEventListener('change', sync);
  sync();
  return {
    element: fieldset(
      'Source',
      'What to run: a repository built with its Dockerfile, an image from a registry, or a database.',
      choices,
      gitPart,
      imagePart,
      database.element,
    ),
    onTypeChange(listener: (type: Source['type']) => void) {
      typeListeners.push(listener);
      listener(current());
    },
    read(): Source {
      if (current() === 'image') return { type: 'image', image: image.value.trim() };
      if (current() === 'database') return database.read();
      return {
        type: 'git',
        repository: repository.value.trim(),
        ref: ref.value.trim(),
        dockerfile: dockerfile.value.trim() || 'Dockerfile',
        context: context.value.trim() || '.',
        // Kept as it is: the credential is chosen through the API.
        ...(git?.credentialId ? { credentialId: git.credentialId } : {}),
      };
    },
  };
}

function healthFields(initial: Healthcheck | undefined) {
  const type = h(
    'select',
    { class: 'input', attrs: { name: 'healthcheck-type' } },
    h('option', { attrs: { value: 'running' } }, 'The container keeps running'),
    h('option', { attrs: { value: 'http' } }, 'An HTTP request answers 2xx or 3xx'),
  );
  type.value = initial?.type ?? 'running';
  const seconds = input({
    type: 'number',
    min: 0,
    max: 3600,
    value: initial?.type === 'running' ? initial.seconds : 3,
  });
  const port = input({
    type: 'number',
    min: 1,
    max: 65535,
    value: initial?.type === 'http' ? initial.port : '',
  });
  const path = input({ value: initial?.type === 'http' ? initial.path : '/' });
  const timeout = input({
    type: 'number',
    min: 1,
    max: 3600,
    value: initial?.type === 'http' ? initial.timeoutSeconds : 30,
  });
  const runningPart = h('div', { class: 'grid-2' }, field('Seconds it must stay running', seconds));
  const httpPart = h(
    'div',
    { class: 'grid-3' },
    field('Container port', port),
    field('Path', path),
    field('Timeout (seconds)', timeout),
  );
  const sync = () => {
    runningPart.hidden = type.value !== 'running';
    httpPart.hidden = type.value !== 'http';
  };
  type.addEventListener('change', sync);
  sync();
  return {
    element: fieldset(
      'Health check',
      'A new release replaces the old one only when it passes; otherwise the previous release comes back.',
      field('Check', type),
      runningPart,
      httpPart,
    ),
    read(): Healthcheck {
      if (type.value === 'http') {
        return {
          type: 'http',
          port: numberValue(port),
          path: path.value.trim() || '/',
          timeoutSeconds: numberValue(timeout),
        };
      }
      return { type: 'running', seconds: numberValue(seconds) };
    },
  };
}
