import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/processes.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

/**
 * Lints a probe file placed in a source folder (typed rules need a real file in the
 * project), and returns the messages of the library rule.
 */
async function libraryProblems(folder: string, code: string): Promise<string[]> {
  const file = join(REPO_ROOT, folder, `lint-probe-${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, code);
  try {
    const [result] = await eslint.lintFiles([file]);
    return (result?.messages ?? [])
      .filter((m) => m.ruleId === 'berth/library-homes')
      .map((m) => m.message);
  } finally {
    rmSync(file, { force: true });
  }
}

describe('lint: each outside library is imported only from its own folder', () => {
  it.each([
    [
      'agent/src/jobs',
      "import Docker from 'dockerode';\nexport const engine = Docker;\n",
      'dockerode',
    ],
    ['agent/src/jobs', "import { WebSocket } from 'ws';\nexport const socket = WebSocket;\n", 'ws'],
    ['agent/src/jobs', "export const load = () => import('ws');\n", 'ws'],
    [
      'control-plane/src/queue',
      "import { Hono } from 'hono';\nexport const app = new Hono();\n",
      'hono',
    ],
    ['control-plane/src/http', "import { open } from 'lmdb';\nexport const db = open;\n", 'lmdb'],
    ['control-plane/src/queue', "export { Low } from 'lowdb';\n", 'lowdb'],
    [
      'control-plane/src/hub',
      "import { Counter } from 'prom-client';\nexport const c = Counter;\n",
      'prom-client',
    ],
    [
      'agent/src/connection',
      "import { Counter } from 'prom-client';\nexport const c = Counter;\n",
      'prom-client',
    ],
  ])('refuses an import into %s: %j', async (folder, code, library) => {
    const problems = await libraryProblems(folder, code);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"${library}" may be imported only from`);
  });

  it.each([
    ['agent/src/docker', "import Docker from 'dockerode';\nexport const engine = Docker;\n"],
    [
      'control-plane/src/http',
      "import { compress } from 'hono/compress';\nexport const c = compress;\n",
    ],
    [
      'control-plane/src/hub',
      "import { WebSocketServer } from 'ws';\nexport const s = WebSocketServer;\n",
    ],
    ['control-plane/src/store', "import { open } from 'lmdb';\nexport const db = open;\n"],
    [
      'control-plane/src/metrics',
      "import { Registry } from 'prom-client';\nexport const r = Registry;\n",
    ],
    ['agent/src/status', "import { Registry } from 'prom-client';\nexport const r = Registry;\n"],
  ])('allows the library in its own folder %s', async (folder, code) => {
    expect(await libraryProblems(folder, code)).toEqual([]);
  });
});
