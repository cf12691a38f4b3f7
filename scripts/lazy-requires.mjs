// An esbuild plugin that defers two heavy requires of dockerode, which it makes at load time:
// docker-modem's ssh transport (ssh2, only for an ssh:// DOCKER_HOST) and dockerode's BuildKit
// session (@grpc/grpc-js, protobufjs, only for `version: '2'` builds). Both stay in the bundle;
// their modules run on first use instead of at start, which keeps an idle agent smaller.
import { readFile } from 'node:fs/promises';

/** File (by path ending) → [the require as written, the lazy form that replaces it]. */
const DEFERRED = [
  [
    '/docker-modem/lib/modem.js',
    "ssh = require('./ssh'),",
    "ssh = function () { return require('./ssh').apply(this, arguments); },",
  ],
  [
    '/dockerode/lib/docker.js',
    "withSession = require('./session'),",
    "withSession = function () { return require('./session').apply(this, arguments); },",
  ],
];

export const lazyRequires = {
  name: 'lazy-requires',
  setup(build) {
    build.onLoad(
      { filter: /(docker-modem[\\/]lib[\\/]modem|dockerode[\\/]lib[\\/]docker)\.js$/ },
      async (args) => {
        const entry = DEFERRED.find(([ending]) => args.path.replaceAll('\\', '/').endsWith(ending));
        if (!entry) return undefined;
        const [, eager, lazy] = entry;
        const source = await readFile(args.path, 'utf8');
        // A dependency update that changes these lines must be looked at, not bundled eagerly.
        if (!source.includes(eager))
          throw new Error(`lazy-requires: "${eager}" not found in ${args.path}`);
        return { contents: source.replace(eager, lazy), loader: 'js' };
      },
    );
  },
};
