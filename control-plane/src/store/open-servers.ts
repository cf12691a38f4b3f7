import type { Now } from '../clock.js';
import type { Database } from './database.js';
import { PresenceBook, type PresenceOptions, type PresenceSnapshot } from './presence.js';
import type { Adapter } from 'lowdb';
import type { JournalEntry, ServerJournal } from './server-journal.js';
import { ServerRecords } from './servers.js';
import { KEEP_AFTER_EXPIRY_MS } from './join-tokens.js';

// Below this many entries per live one, rewriting the journal at start is not worth it.
const COMPACT_RATIO = 2;
const COMPACT_SLACK = 100;

/**
 * Opens the servers: replays the journal, or on the first start of this layout moves the servers,
 * tombstones and spent tokens out of db.json into a new journal (written before db.json drops
 * them, so a crash in between loses nothing: the journal wins). Compacts a journal that grew.
 */
export async function openServers(args: {
  db: Database;
  journal: ServerJournal;
  presence: Adapter<PresenceSnapshot>;
  presenceOptions?: PresenceOptions;
  now: Now;
}): Promise<ServerRecords> {
  const { db, journal, now } = args;
  const legacyServers = db.data.servers;
  const legacyRevoked = db.data.revokedServerIds;
  const legacySpent = db.data.joinTokens.filter((token) => token.usedAt);
  const { book, found } = await PresenceBook.open(args.presence, args.presenceOptions);
  const servers = new ServerRecords({ db, journal, presence: book, now });
  let entries = await journal.load();
  if (entries === null) {
    entries = [
      ...legacyServers.map((server): JournalEntry => ({
        op: 'server',
        server: {
          id: server.id,
          name: server.name,
          publicKey: server.publicKey,
          agentVersion: server.agentVersion,
          docker: server.docker,
          createdAt: server.createdAt,
        },
      })),
      ...legacyRevoked.map((id): JournalEntry => ({ op: 'revoke', id })),
      ...legacySpent.map((token): JournalEntry => ({
        op: 'spent',
        tokenHash: token.tokenHash,
        until: Date.parse(token.expiresAt) + KEEP_AFTER_EXPIRY_MS,
      })),
    ];
    await journal.rewrite(entries);
  }
  // Servers a 0.2 db.json knew as online are reconnecting, like those of a presence snapshot.
  if (!found) {
    for (const server of legacyServers) {
      book.add(server.id, {
        status: server.status === 'offline' ? 'offline' : 'reconnecting',
        lastSeenMs: server.lastSeenAt === null ? null : Date.parse(server.lastSeenAt),
      });
    }
  }
  servers.replay(entries);
  if (legacyServers.length > 0 || legacyRevoked.length > 0 || legacySpent.length > 0) {
    await db.mutate((data) => {
      data.servers = [];
      data.revokedServerIds = [];
      data.joinTokens = data.joinTokens.filter((token) => !token.usedAt);
    });
  }
  const live = servers.compacted();
  if (entries.length > live.length * COMPACT_RATIO + COMPACT_SLACK) await journal.rewrite(live);
  return servers;
}
