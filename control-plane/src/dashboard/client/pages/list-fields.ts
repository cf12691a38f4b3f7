/// <reference lib="dom" />
import type { PortMapping } from '@berth/protocol';
import { h, replace } from '../dom.js';
import { icon } from '../icons.js';
import { button, input } from '../ui.js';
import { fieldset, numberValue } from './form-parts.js';

/** Editable port mappings; empty rows are left out of `read()`. */
export function portRows(initial: PortMapping[]) {
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

/** Editable env variables; values are password fields until revealed. */
export function envRows(initial: Record<string, string>) {
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

/** Env variable names only, for a user whose role cannot read secrets: nothing to reveal or copy. */
export function hiddenEnvList(initial: Record<string, string>) {
  const names = Object.keys(initial);
  return {
    element: fieldset(
      'Environment variables',
      'hidden: your role cannot read secrets',
      names.length === 0
        ? h('p', { class: 'muted' }, 'None.')
        : h('ul', { class: 'env-names mono' }, ...names.map((name) => h('li', {}, name))),
    ),
    read: () => ({}),
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
