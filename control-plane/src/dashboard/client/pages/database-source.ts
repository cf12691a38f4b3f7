/// <reference lib="dom" />
import type { DatabaseEngine, DatabaseSource } from '@berth/protocol/engines';
import { DATABASE_ENGINES, ENGINE_PROFILES, databaseImage } from '@berth/protocol/engines';
import { h } from '../dom.js';
import { field, input } from '../ui.js';

const ENGINE_LABELS: Record<DatabaseEngine, string> = {
  postgres: 'PostgreSQL',
  mariadb: 'MariaDB',
  mysql: 'MySQL',
  redis: 'Redis',
};

/**
 * The database part of the source: engine, version and an optional image. An existing
 * database keeps its engine (its volume holds that engine's files), so the select is locked.
 */
export function databaseSourcePart(initial: DatabaseSource | undefined): {
  element: HTMLElement;
  read(): DatabaseSource;
} {
  const engine = h(
    'select',
    { class: 'input', attrs: { name: 'engine', disabled: initial !== undefined } },
    ...DATABASE_ENGINES.map((name) => h('option', { attrs: { value: name } }, ENGINE_LABELS[name])),
  );
  engine.value = initial?.engine ?? 'postgres';
  const version = input({
    name: 'version',
    value: initial?.version ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const image = input({
    name: 'database-image',
    value: initial?.image ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const current = () => engine.value as DatabaseEngine;
  const sync = () => {
    const profile = ENGINE_PROFILES[current()];
    version.placeholder = profile.defaultVersion;
    image.placeholder = databaseImage({
      type: 'database',
      engine: current(),
      ...(version.value.trim() ? { version: version.value.trim() } : {}),
    });
  };
  engine.addEventListener('change', sync);
  version.addEventListener('input', sync);
  sync();
  const element = h(
    'div',
    { class: 'stack' },
    h(
      'div',
      { class: 'grid-2' },
      field(
        'Engine',
        engine,
        initial
          ? 'The engine cannot change: create a new service for another one.'
          : 'Credentials are generated when the service is created.',
      ),
      field('Version', version, 'An image tag of the official image; empty for the default.'),
    ),
    field(
      'Image override (optional)',
      image,
      'A mirror or private registry image with the official image’s conventions.',
    ),
  );
  return {
    element,
    read: () => {
      const v = version.value.trim();
      const i = image.value.trim();
      return {
        type: 'database',
        engine: current(),
        ...(v ? { version: v } : {}),
        ...(i ? { image: i } : {}),
      };
    },
  };
}
