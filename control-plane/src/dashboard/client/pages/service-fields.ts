/// <reference lib="dom" />
import type { Healthcheck, PortMapping, Service, Source } from '@berth/protocol';
import { h, newId, replace } from '../dom.js';
import { icon } from '../icons.js';
import { button, field, input } from '../ui.js';

export interface ServiceSettings {
  source: Source;
  ports: PortMapping[];
  env: Record<string, string>;
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
  const env = envRows(initial?.env ?? {});
  const health = healthFields(initial?.healthcheck);
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
      ports: ports.read(),
      env: env.read(),
      healthcheck: health.read(),
    }),
  };
}

function fieldset(legend: string, hint: string, ...children: Node[]): HTMLFieldSetElement {
  return h(
    'fieldset',
    { class: 'fieldset' },
    h('legend', {}, legend),
    h('p', { class: 'hint' }, hint),
    ...children,
  );
}

function radio(name: string, value: string, label: string, checked: boolean): HTMLElement {
  const id = newId(name);
  return h(
    'label',
    { class: 'choice', attrs: { for: id } },
    h('input', { attrs: { type: 'radio', name, value, id, checked } }),
    h('span', {}, label),
  );
}

function sourceFields(initial: Source | undefined) {
  const group = newId('source-type');
  const type = initial?.type ?? 'git';
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
  const choices = h(
    'div',
    { class: 'choices', attrs: { role: 'radiogroup', 'aria-label': 'Source type' } },
    radio(group, 'git', 'Git repository', type === 'git'),
    radio(group, 'image', 'Docker image', type === 'image'),
  );
  const current = () =>
    choices.querySelector<HTMLInputElement>('input:checked')?.value === 'image' ? 'image' : 'git';
  const sync = () => {
    gitPart.hidden = current() !== 'git';
    imagePart.hidden = current() !== 'image';
  };
  choices.addEventListener('change', sync);
  sync();
  return {
    element: fieldset(
      'Source',
      'What to run: a repository built with its Dockerfile, or an image from a registry.',
      choices,
      gitPart,
      imagePart,
    ),
    read(): Source {
      if (current() === 'image') return { type: 'image', image: image.value.trim() };
      return {
        type: 'git',
        repository: repository.value.trim(),
        ref: ref.value.trim(),
        dockerfile: dockerfile.value.trim() || 'Dockerfile',
        context: context.value.trim() || '.',
      };
    },
  };
}

function numberValue(control: HTMLInputElement): number {
  return control.value.trim() === '' ? Number.NaN : Number(control.value);
}

function portRows(initial: PortMapping[]) {
  const rows = h('div', { class: 'rows' });
  const readers: (() => PortMapping | null)[] = [];
  const addRow = (port?: PortMapping) => {
    const container = input({
      type: 'number',
      min: 1,
      max: 65535,
      value: port?.container ?? '',
      'aria-label': 'Container port',
      placeholder: '8080',
    });
    const host = input({
      type: 'number',
      min: 1,
      max: 65535,
      value: port?.host ?? '',
      'aria-label': 'Host port',
      placeholder: '80',
    });
    const hostIp = input({
      value: port?.hostIp && port.hostIp !== '0.0.0.0' ? port.hostIp : '',
      'aria-label': 'Host IP',
      placeholder: '0.0.0.0',
    });
    const row = h('div', { class: 'row row-port' }, container, host, hostIp);
    const read = () => {
      if (container.value === '' && host.value === '') return null;
      return {
        container: numberValue(container),
        host: numberValue(host),
        hostIp: hostIp.value.trim() || '0.0.0.0',
      };
    };
    readers.push(read);
    row.appendChild(
      removeButton('Remove port', () => {
        readers.splice(readers.indexOf(read), 1);
        row.remove();
      }),
    );
    rows.appendChild(row);
  };
  initial.forEach(addRow);
  return {
    element: fieldset(
      'Ports',
      'Publish a container port on the server: container port, host port and, optionally, the host IP.',
      columnHeads('row-port', 'Container port', 'Host port', 'Host IP (optional)'),
      rows,
      button('Add port', { icon: 'plus', kind: 'ghost', onClick: () => addRow() }),
    ),
    read: () => readers.map((read) => read()).filter((p): p is PortMapping => p !== null),
  };
}

function envRows(initial: Record<string, string>) {
  const rows = h('div', { class: 'rows' });
  const readers: (() => [string, string] | null)[] = [];
  const toggles: ((show: boolean) => void)[] = [];
  let allShown = false;
  const addRow = (name = '', value = '') => {
    const key = input({
      value: name,
      'aria-label': 'Variable name',
      placeholder: 'NAME',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    key.classList.add('mono');
    const secret = input({
      type: 'password',
      value,
      placeholder: 'value',
      autocomplete: 'off',
      spellcheck: 'false',
    });
    secret.classList.add('mono');
    const reveal = h('button', {
      class: 'icon-button',
      attrs: { type: 'button', 'aria-pressed': 'false', 'aria-label': 'Show value' },
    });
    const label = () => {
      const what = key.value || 'the variable';
      const visible = secret.type === 'text';
      secret.setAttribute('aria-label', `Value of ${what}`);
      reveal.setAttribute('aria-label', `${visible ? 'Hide' : 'Show'} value of ${what}`);
      reveal.title = visible ? 'Hide value' : 'Show value';
    };
    const show = (visible: boolean) => {
      secret.type = visible ? 'text' : 'password';
      reveal.setAttribute('aria-pressed', String(visible));
      replace(reveal, icon(visible ? 'eyeOff' : 'eye'));
      label();
    };
    show(false);
    reveal.addEventListener('click', () => show(secret.type === 'password'));
    key.addEventListener('input', label);
    const row = h('div', { class: 'row row-env' }, key, secret, reveal);
    const read = (): [string, string] | null =>
      key.value.trim() === '' && secret.value === '' ? null : [key.value.trim(), secret.value];
    readers.push(read);
    toggles.push(show);
    row.appendChild(
      removeButton('Remove variable', () => {
        readers.splice(readers.indexOf(read), 1);
        toggles.splice(toggles.indexOf(show), 1);
        row.remove();
      }),
    );
    rows.appendChild(row);
  };
  for (const [name, value] of Object.entries(initial)) addRow(name, value);
  const revealAll = button('Show values', {
    icon: 'eye',
    kind: 'ghost',
    class: 'reveal-all',
    onClick: () => {
      allShown = !allShown;
      toggles.forEach((show) => show(allShown));
      revealAll.querySelector('.btn-label')!.textContent = allShown ? 'Hide values' : 'Show values';
    },
  });
  return {
    element: fieldset(
      'Environment variables',
      'Values stay hidden until you reveal them.',
      columnHeads('row-env', 'Name', 'Value'),
      rows,
      h(
        'div',
        { class: 'row-actions' },
        button('Add variable', { icon: 'plus', kind: 'ghost', onClick: () => addRow() }),
        revealAll,
      ),
    ),
    read: () => Object.fromEntries(readers.map((read) => read()).filter((e) => e !== null)),
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

/** Column names above editable rows; the inputs carry their own labels for assistive tech. */
function columnHeads(kind: string, ...names: string[]): HTMLElement {
  return h(
    'div',
    { class: `row ${kind} row-head`, attrs: { 'aria-hidden': 'true' } },
    ...names.map((name) => h('span', {}, name)),
  );
}

function removeButton(label: string, onClick: () => void): HTMLButtonElement {
  return h(
    'button',
    {
      class: 'icon-button',
      attrs: { type: 'button', 'aria-label': label, title: label },
      on: { click: onClick },
    },
    icon('trash'),
  );
}
