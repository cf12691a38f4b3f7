import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHistoryStore } from './history-conformance.js';
import { LmdbHistory } from './lmdb-history.js';

describeHistoryStore(
  'LmdbHistory',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-history-'));
    let history = new LmdbHistory(dir);
    return {
      get history() {
        return history;
      },
      reopen: async () => {
        await history.close();
        history = new LmdbHistory(dir);
        return history;
      },
      dispose: async () => {
        await history.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { persistent: true },
);
