import { describeHistoryStore } from './history-conformance.js';
import { MemoryHistory } from './memory-history.js';

describeHistoryStore(
  'MemoryHistory',
  async () => ({ history: new MemoryHistory(), dispose: async () => undefined }),
  { persistent: false },
);
