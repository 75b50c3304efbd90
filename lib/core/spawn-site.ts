// Where a greenlet was created, for blocking reports, dump() and LoopExit.
// Capturing a stack costs about 1–2 µs per greenlet, so it happens only
// while the monitor runs (or GREENHUB_SPAWN_SITES=1 asks for it); the text is
// formatted only when someone reads it.
import * as path from 'node:path';

/** @internal A captured stack, formatted on first read. */
export interface SpawnSite {
  stack?: string;
}

/** @internal Turned on by the monitor (counted, so nested users compose) or the environment. */
export const spawnSites = {
  enabled: process.env.GREENHUB_SPAWN_SITES === '1',
  fromEnv: process.env.GREENHUB_SPAWN_SITES === '1',
  users: 0,
};

/** @internal One more (or one fewer) user wants spawn sites. */
export function trackSpawnSites(on: boolean): void {
  spawnSites.users += on ? 1 : -1;
  spawnSites.enabled = spawnSites.fromEnv || spawnSites.users > 0;
}

/** @internal Captures the caller's stack (V8 keeps the frames; text comes later). */
export function captureSpawnSite(): SpawnSite {
  const holder: SpawnSite = {};
  Error.captureStackTrace(holder, captureSpawnSite);
  return holder;
}

// greenhub's own frames (lib/ from source, dist/ when built) say nothing
// about who spawned: the report shows the caller's.
const OWN_DIR = path.resolve(__dirname, '..') + path.sep;
// The spawner and a few callers above it are what a reader needs.
const MAX_FRAMES = 4;

/** @internal The user frames of a captured site, or null when none is left. */
export function formatSpawnSite(site: SpawnSite): string | null {
  const lines = (site.stack ?? '').split('\n').slice(1);
  // Also V8's native frames (a generator's next()) and Node's internals.
  const user = lines.filter(
    (line) => !line.includes(OWN_DIR) && !line.includes('node:internal/') && !line.trimEnd().endsWith('(<anonymous>)'),
  );
  return user.length > 0
    ? user
        .slice(0, MAX_FRAMES)
        .map((line) => `    ${line.trim()}`)
        .join('\n')
    : null;
}

/** @internal A stack (frames only) without greenhub's own frames, unless nothing else is left. */
export function withoutOwnFrames(stack: string): string {
  const lines = stack.split('\n');
  const user = lines.filter((line) => !line.includes(OWN_DIR));
  return user.length > 0 ? user.join('\n') : stack;
}
