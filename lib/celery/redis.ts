// Redis connections for the Celery layer (npm `ioredis`). Who uses which
// connection:
//   - one command connection per transport / result backend, shared by every
//     caller: ioredis pipelines concurrent commands on it, so publishing,
//     acks, restores and result writes never wait for each other's replies;
//   - one blocking connection per consumer, used only for BRPOP (a blocked
//     connection cannot serve anything else);
//   - one subscriber connection per result backend (waiting for results) and
//     per control listener (the pidbox fanout), since a subscribed
//     connection accepts only (P)SUBSCRIBE commands.
// The extra connections are `duplicate()`s of the command connection, so they
// reach the same server and database.
//
// Why ioredis (5.x) rather than node-redis: it is maintained under the Redis
// organisation and is the most used Node client; every command returns a
// Promise and is typed; `duplicate()` makes the dedicated blocking and
// subscriber connections in one call; EVALSHA/EVAL and MULTI are plain
// methods; concurrent commands on one connection are pipelined without
// extra API; and it reconnects and re-subscribes by itself. (celery-node
// used ioredis 4; 5 has bundled TypeScript types.)
import { createHash } from 'node:crypto';

import Redis, { type RedisOptions } from 'ioredis';

import { invalidArgType } from '../loop/errors';

/** A Redis URL (`redis://host:port/db`), ioredis options, or a connection to share. */
export type RedisTarget = string | RedisOptions | Redis;

export interface OpenedRedis {
  client: Redis;
  /** False when the caller passed its own connection: closing leaves it open. */
  owned: boolean;
}

export function openRedis(target: RedisTarget, name: string): OpenedRedis {
  if (target instanceof Redis) return { client: target, owned: false };
  if (typeof target === 'string') return { client: new Redis(target), owned: true };
  if (target !== null && typeof target === 'object') return { client: new Redis(target), owned: true };
  throw invalidArgType(name, 'a Redis URL string, ioredis options or an ioredis client', target);
}

/** The database number a connection selects (Kombu names fanout channels after it). */
export function databaseOf(client: Redis): number {
  return client.options.db ?? 0;
}

/** Closes a connection politely (QUIT), falling back to a hard disconnect. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * A Lua script run by its SHA1 (EVALSHA), loading it once per server when
 * Redis answers NOSCRIPT. The scripts make reserve/restore atomic where
 * Kombu needs a WATCH transaction, which cannot share a pipelined connection.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
