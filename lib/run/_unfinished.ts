// Private: the message of a run stopped before its end (its deadline, its
// signal), short enough to read: the first few writers, then counts by
// state. The full list stays in the error's `unfinished`.
import type { UnfinishedWriter } from "../errors.ts";
import {
  AtomicInts,
  describeState,
  phaseOf,
  readProgress,
  WriterState,
} from "../host/_memory.ts";
import type { WriterAssignment } from "../host/_protocol.ts";
import type { RunSettings } from "../plan.ts";
import type { HostPool } from "./_host_pool.ts";
import { stillStuck, stuckHosts, writerList } from "./_quiesce.ts";
import { countWhileStuck } from "./_spawn.ts";

/** Writers listed one by one before the rest are counted. */
const LISTED = 3;

/**
 * "Run <why> with N writers unfinished: writer 0 (operation 1 of 2): …; …
 * and 97 more (60 waiting for the write lock, …)", then each note.
 */
export function unfinishedMessage(
  why: string,
  unfinished: readonly UnfinishedWriter[],
  notes: readonly string[] = [],
): string {
  const listed = unfinished.slice(0, LISTED).map((u) =>
    `writer ${u.writer} (operation ${
      u.opIndex + 1
    } of ${u.operations}): ${u.state}`
  );
  const rest = unfinished.slice(LISTED);
  let text = `Run ${why} with ${unfinished.length} writer${
    unfinished.length === 1 ? "" : "s"
  } unfinished: ${listed.join("; ")}`;
  if (rest.length > 0) {
    const byState = new Map<string, number>();
    for (const u of unfinished) {
      byState.set(u.state, (byState.get(u.state) ?? 0) + 1);
    }
    const counts = [...byState].sort((a, b) => b[1] - a[1])
      .map(([state, n]) => `${n} ${state}`);
    text += `; and ${rest.length} more (all ${unfinished.length}: ${
      counts.join("; ")
    })`;
  }
  return [text, ...notes].join(". ");
}

/**
 * The writers of a run being stopped that had not finished, and notes on
 * tasks that kept their Worker: Deno cannot terminate a Worker inside a
 * synchronous call, so those whose event loop stands still are found (and
 * counted by `liveHosts()` until they return) before they are told to stop.
 */
export async function unfinishedWriters(
  settings: RunSettings,
  assignments: WriterAssignment[],
  pool: HostPool,
): Promise<{ unfinished: UnfinishedWriter[]; notes: string[] }> {
  const shared = pool.shared;
  const active = pool.active;
  const stuck = shared instanceof AtomicInts
    ? await stuckHosts(shared, active.map((h) => h.id), settings.writers)
    : new Set<number>();
  const unfinished: UnfinishedWriter[] = [];
  const inTask = (state: number): boolean =>
    settings.workload.kind === "task" &&
    (state === WriterState.running || state === WriterState.holding);
  const stuckTasks: number[] = [];
  const awaitingTasks: number[] = [];
  for (const host of active) {
    for (const id of host.writers) {
      const progress = readProgress(shared, id);
      if (progress.state === WriterState.done) continue;
      if (settings.mode === "worker" && inTask(progress.state)) {
        (stuck.has(host.id) ? stuckTasks : awaitingTasks).push(id);
      }
      unfinished.push({
        writer: id,
        opIndex: progress.opIndex,
        operations: assignments[id].operations.length,
        state: describeState(progress.state),
        phase: phaseOf(progress.state),
      });
    }
  }
  unfinished.sort((a, b) => a.writer - b.writer);
  for (const id of stuck) {
    countWhileStuck(
      stillStuck(shared, pool.hosts[id].writers, settings.writers, id),
    );
  }
  const notes: string[] = [];
  if (stuckTasks.length > 0) {
    notes.push(
      `The task of ${
        writerList(stuckTasks)
      } is stuck in a synchronous call, where a Worker cannot be stopped: its thread (and this process) runs on until the call returns, and liveHosts() counts it; run tasks that may block with mode: "process", whose hosts are killed`,
    );
  }
  if (awaitingTasks.length > 0) {
    notes.push(
      `The task of ${
        writerList(awaitingTasks)
      } was awaiting a promise that had not settled; its Worker was stopped`,
    );
  }
  return { unfinished, notes };
}
