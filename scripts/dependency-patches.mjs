// An esbuild plugin that patches a few lines of bundled dependencies, to keep an idle agent small
// and quiet. Each patch names the exact text it replaces: a dependency update that changes those
// lines fails the build, so the patch is looked at again instead of silently dropped.
//
// - docker-modem's ssh transport (ssh2, only for an ssh:// DOCKER_HOST) is required at load time;
//   it stays in the bundle, but its modules run on first use instead of at start.
// - dockerode's BuildKit support (@grpc/grpc-js, protobufjs: about 600 KB of source, which V8
//   keeps in memory with the rest) serves `version: '2'` builds and `followProgress`, which the
//   agent never uses: it builds with the classic builder and reads progress itself. Both now
//   throw a plain error instead, and that code is not bundled.
// - docker-modem formats every request's options with util.inspect (all hidden fields, no depth
//   limit) for a debug line that is off unless DEBUG names it: about half the CPU time of each
//   Docker API call, including the heartbeat's version check. It now formats only when enabled.
// - node-cron reads the calendar fields of a date through Intl.DateTimeFormat, even without a
//   time zone; the first formatter maps about 8 MB of ICU data and code into the process. Without
//   a time zone (the agent never gives one) the same fields come from Date's local-time getters,
//   which follow the same TZ; with one, node-cron's own code runs unchanged.
// - zod's namespace re-exports its 64 error-message locales as `z.locales`, so every bundle that
//   imports `z` carries them (288 KB of the agent's source, kept in memory as long as it runs).
//   Berth never reads `z.locales`; English, zod's default, is imported by zod itself.
import { readFile } from 'node:fs/promises';

const LOCAL_TIME_HELPERS = `
const __berthWeekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
function __berthLocalGmt(date) {
    const offset = -date.getTimezoneOffset();
    if (offset === 0) return 'Z';
    const abs = Math.abs(offset);
    const pad = (n) => String(n).padStart(2, '0');
    return \`GMT\${offset > 0 ? '+' : '-'}\${pad(Math.floor(abs / 60))}:\${pad(abs % 60)}\`;
}
function __berthLocalDateParts(date) {
    const result = {
        day: date.getDate(),
        month: date.getMonth() + 1,
        year: date.getFullYear(),
        hour: date.getHours(),
        minute: date.getMinutes(),
        second: date.getSeconds(),
        millisecond: date.getMilliseconds(),
        weekday: __berthWeekdays[date.getDay()]
    };
    let gmt;
    Object.defineProperty(result, 'gmt', {
        enumerable: true,
        configurable: true,
        get() {
            return gmt ??= __berthLocalGmt(date);
        }
    });
    return result;
}
`;

/** File (by path ending) → [text as written, text that replaces it]. */
export const DEPENDENCY_PATCHES = [
  [
    '/docker-modem/lib/modem.js',
    "ssh = require('./ssh'),",
    "ssh = function () { return require('./ssh').apply(this, arguments); },",
  ],
  [
    '/docker-modem/lib/modem.js',
    "debug('Sending: %s', util.inspect(options, {",
    "if (debug.enabled) debug('Sending: %s', util.inspect(options, {",
  ],
  [
    '/dockerode/lib/docker.js',
    "withSession = require('./session'),",
    'withSession = function () { throw new Error(BERTH_NO_BUILDKIT); },',
  ],
  [
    '/dockerode/lib/docker.js',
    "var buildkit = require('./buildkit');",
    'throw new Error(BERTH_NO_BUILDKIT);',
  ],
  [
    '/dockerode/lib/docker.js',
    "var EventEmitter = require('events').EventEmitter,",
    "var BERTH_NO_BUILDKIT = 'BuildKit builds and followProgress are not part of the Berth agent';\n" +
      "var EventEmitter = require('events').EventEmitter,",
  ],
  ['/zod/v4/classic/external.js', 'export * as locales from "../locales/index.js";', ''],
  ['/zod/v4/core/index.js', 'export * as locales from "../locales/index.js";', ''],
  [
    '/node-cron/dist/_shared.js',
    'function buildDateParts(date, timezone) {',
    'function buildDateParts(date, timezone) {\n    if (!timezone) return __berthLocalDateParts(date);',
  ],
  [
    '/node-cron/dist/_shared.js',
    'function getTimezoneGMT(date, timezone) {',
    LOCAL_TIME_HELPERS +
      'function getTimezoneGMT(date, timezone) {\n    if (!timezone) return __berthLocalGmt(date);',
  ],
];

const FILES = [...new Set(DEPENDENCY_PATCHES.map(([ending]) => ending))];

/** Applies every patch for `path` to `source`; throws when a patched line is not found. */
export function patchDependencySource(path, source) {
  const normalized = path.replaceAll('\\', '/');
  let patched = source;
  for (const [ending, original, replacement] of DEPENDENCY_PATCHES) {
    if (!normalized.endsWith(ending)) continue;
    if (!patched.includes(original))
      throw new Error(`dependency-patches: "${original}" not found in ${path}`);
    patched = patched.replace(original, replacement);
  }
  return patched;
}

export const dependencyPatches = {
  name: 'dependency-patches',
  setup(build) {
    build.onLoad(
      {
        filter:
          /(docker-modem[\\/]lib[\\/]modem|dockerode[\\/]lib[\\/]docker|node-cron[\\/]dist[\\/]_shared|zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index))\.js$/,
      },
      async (args) => {
        const normalized = args.path.replaceAll('\\', '/');
        if (!FILES.some((ending) => normalized.endsWith(ending))) return undefined;
        const source = await readFile(args.path, 'utf8');
        return { contents: patchDependencySource(args.path, source), loader: 'js' };
      },
    );
  },
};
