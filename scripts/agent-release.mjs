// Packs what a worker server downloads: a minified single-file agent bundle in a
// tarball, its sha256, a manifest, and the installer the control plane serves.
// Output: agent/dist/release/{berth-agent.tar.gz, berth-agent.tar.gz.sha256, manifest.json, install.sh}
import { build } from 'esbuild';
import { NODE_BUNDLE_OPTIONS } from './node-bundle-options.mjs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUNDLE = 'berth-agent.tar.gz';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'agent/dist/release');

const versionSource = await readFile(join(root, 'protocol/src/version.ts'), 'utf8');
const version = /export const BERTH_VERSION = '([^']+)'/.exec(versionSource)?.[1];
if (!version) {
  console.error('could not read BERTH_VERSION from protocol/src/version.ts');
  process.exit(1);
}

const stage = await mkdtemp(join(tmpdir(), 'berth-agent-release-'));
try {
  await build({
    ...NODE_BUNDLE_OPTIONS,
    entryPoints: [join(root, 'agent/src/main.ts')],
    outfile: join(stage, 'main.js'),
    minify: true,
  });
  // Makes main.js an ES module wherever it is unpacked, without a .mjs name.
  const manifestForNode = { name: 'berth-agent', version, private: true, type: 'module' };
  await writeFile(join(stage, 'package.json'), `${JSON.stringify(manifestForNode, null, 2)}\n`);

  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // Fixed owners, order and times, so the same sources give the same sha256.
  const tarFile = join(stage, 'bundle.tar');
  execFileSync('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '-C',
    stage,
    '-cf',
    tarFile,
    'main.js',
    'package.json',
  ]);
  const gz = gzipSync(await readFile(tarFile), { level: 9 });
  await writeFile(join(out, BUNDLE), gz);
  const sha256 = createHash('sha256').update(gz).digest('hex');
  await writeFile(join(out, `${BUNDLE}.sha256`), `${sha256}  ${BUNDLE}\n`);
  const bytes = (await stat(join(out, BUNDLE))).size;
  const manifest = { version, file: BUNDLE, sha256, bytes };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await copyFile(join(root, 'install.sh'), join(out, 'install.sh'));
  console.log(`built agent/dist/release/${BUNDLE} (${version}, ${bytes} bytes, sha256 ${sha256})`);
} finally {
  await rm(stage, { recursive: true, force: true });
}
