// Private: waiting for ended hosts to stand still, and telling a Worker
// stuck in a synchronous call from one that returns.
import {
  delay,
  HEARTBEAT_MS,
  heartbeatSlot,
  now,
  readProgress,
  type SharedInts,
  WriterState,
} from "../host/_memory.ts";
import type { RunSettings } from "../plan.ts";
import { classifyError } from "../sqlite/_classify.ts";
import { openConnection } from "../sqlite/_connection.ts";

/** Longest a stopped run watches Worker heartbeats for a stuck thread. */
const STUCK_SAMPLE_MS = 500;

/**
 * The Worker hosts among `ids` whose heartbeat did not move while the run
 * watched: their thread is in a synchronous call. Returns as soon as every
 * heartbeat moved.
 */
export async function stuckHosts(
  shared: SharedInts,
  ids: number[],
  writers: number,
): Promise<Set<number>> {
  const before = new Map(
    ids.map((id) => [id, shared.load(heartbeatSlot(id, writers))]),
  );
  const stuck = new Set(ids);
  for (let waited = 0; stuck.size > 0 && waited < STUCK_SAMPLE_MS;) {
    await delay(HEARTBEAT_MS);
    waited += HEARTBEAT_MS;
    for (const id of stuck) {
      if (shared.load(heartbeatSlot(id, writers)) !== before.get(id)) {
        stuck.delete(id);
      }
    }
  }
  return stuck;
}

/**
 * Whether a stuck, terminated Worker host is still in its call: true until
 * its heartbeat or any of its writers' progress moves (then it has returned,
 * and its termination takes effect).
 */
export function stillStuck(
  shared: SharedInts,
  hostWriters: number[],
  writers: number,
  hostId: number,
): () => boolean {
  const snapshot = (): string =>
    [
      shared.load(heartbeatSlot(hostId, writers)),
      ...hostWriters.map((id) => {
        const p = readProgress(shared, id);
        return `${p.state}:${p.opIndex}`;
      }),
    ].join(",");
  const at = snapshot();
  return () => snapshot() === at;
}

/** "writer 3", "writers 1 and 4", "writers 1, 2 and 5". */
export function writerList(ids: number[]): string {
  if (ids.length === 1) return `writer ${ids[0]}`;
  return `writers ${ids.slice(0, -1).join(", ")} and ${ids.at(-1)}`;
}

/** How long a run waits for stopped hosts' locks to be released. */
export const LOCK_RELEASE_WAIT_MS = 2000;
/** How often, and at most how long, a run waits for ended hosts to stop. */
export const QUIESCE_STEP_MS = 25;
export const QUIESCE_MAX_MS = 2000;
/** Longest wait for a Worker blocked in SQLite's busy handler to return. */
export const QUIESCE_SQLITE_MAX_MS = 30_000;
/**
 * How long the write lock must stay free before no Worker is taken to be
 * blocked in SQLite's busy handler: longer than its longest sleep (100 ms).
 */
export const LOCK_FREE_QUIET_MS = 300;

/**
 * Waits for writers of ended hosts that may be blocked in SQLite's own busy
 * handler: a Worker there cannot be stopped until the handler returns, and
 * may commit then. It returns once the write lock has been free for longer
 * than the handler's longest sleep (100 ms), so that any writer still
 * blocked would have taken it, or after the busy timeout.
 */
export async function sqliteWaiters(
  settings: RunSettings,
  shared: SharedInts,
  writers: number[],
): Promise<void> {
  const blockedInSqlite = settings.mode === "worker" &&
    settings.busyWait === "sqlite" && settings.busyTimeoutMs > 0 &&
    writers.some((id) => {
      const state = readProgress(shared, id).state;
      return state === WriterState.acquiring ||
        state === WriterState.committing;
    });
  if (!blockedInSqlite) return;
  const bound = Math.min(settings.busyTimeoutMs + 250, QUIESCE_SQLITE_MAX_MS);
  const conn = openConnection(settings.path, { busyTimeoutMs: 0 });
  try {
    const started = now();
    let lastTaken = started;
    while (now() - started < bound) {
      try {
        conn.prepare("BEGIN IMMEDIATE").run();
        conn.prepare("ROLLBACK").run();
      } catch (error) {
        if (classifyError(error).outcome === "error") return;
        lastTaken = now();
      }
      if (now() - lastTaken >= LOCK_FREE_QUIET_MS) return;
      await delay(QUIESCE_STEP_MS);
    }
  } finally {
    conn.close();
  }
}

/**
 * Resolves once the progress of `writers` has not changed for one step, or
 * after `QUIESCE_MAX_MS`.
 */
export async function standStill(
  shared: SharedInts,
  writers: number[],
): Promise<void> {
  const snapshot = (): string =>
    writers.map((id) => {
      const p = readProgress(shared, id);
      return `${p.state}:${p.opIndex}`;
    }).join(",");
  let last = snapshot();
  for (let waited = 0; waited < QUIESCE_MAX_MS;) {
    await delay(QUIESCE_STEP_MS);
    waited += QUIESCE_STEP_MS;
    const current = snapshot();
    if (current === last) return;
    last = current;
  }
}
