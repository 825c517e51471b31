import assert from "node:assert/strict";
import {
  allocateShared,
  AtomicInts,
  readProgress,
  setProgress,
  setRetrying,
  WriterState,
} from "../../lib/host/_memory.ts";
import type { PlannedOperation } from "../../lib/host/_protocol.ts";
import { unreportedOutcome } from "../../lib/run/_collect.ts";

const op = (seq: number): PlannedOperation => ({
  seq,
  keys: [seq],
  fingerprints: [`f${seq}`],
});

/** What writer 1's operation `index` was, its progress set by `set`. */
function outcomeOf(
  index: number,
  set: (shared: AtomicInts) => void,
): { outcome: string; attempts: number; message: string | null } {
  const shared = new AtomicInts(allocateShared(2));
  set(shared);
  const o = unreportedOutcome(1, op(index), index, readProgress(shared, 1));
  assert.equal(o.writer, 1);
  assert.deepEqual([o.seq, o.keys, o.fingerprints], [index, [index], [
    `f${index}`,
  ]]);
  return { outcome: o.outcome, attempts: o.attempts, message: o.message };
}

Deno.test("unreportedOutcome(): in flight is unknown, whatever state of a transaction it was in", () => {
  for (
    const state of [
      WriterState.acquiring,
      WriterState.holding,
      WriterState.committing,
      WriterState.waiting,
      WriterState.running,
      WriterState.halted,
    ]
  ) {
    const o = outcomeOf(2, (s) => setProgress(s, 1, state, 2));
    assert.equal(o.outcome, "unknown", `state ${state}`);
    assert.equal(o.attempts, 1);
    assert.match(o.message!, /in flight when its host ended/);
  }
});

Deno.test("unreportedOutcome(): ended but never reported is unknown; not reached is skipped", () => {
  // Progress counts 3 operations ended: the first three are unreported.
  const ended = outcomeOf(1, (s) => setProgress(s, 1, WriterState.between, 3));
  assert.equal(ended.outcome, "unknown");
  assert.match(ended.message!, /died before reporting it/);
  const later = outcomeOf(4, (s) => setProgress(s, 1, WriterState.between, 3));
  assert.deepEqual(later, {
    outcome: "skipped",
    attempts: 0,
    message: "not started: its host ended first",
  });
  // The current operation, between two: not started either.
  const next = outcomeOf(3, (s) => setProgress(s, 1, WriterState.between, 3));
  assert.equal(next.outcome, "skipped");
  // A fresh buffer: nothing started.
  assert.equal(outcomeOf(0, () => {}).outcome, "skipped");
});

Deno.test("unreportedOutcome(): waiting to retry is the last try's lock error, with its tries", () => {
  const busy = outcomeOf(2, (s) => {
    setProgress(s, 1, WriterState.between, 2);
    setRetrying(s, 1, 3, false);
  });
  assert.deepEqual(busy, {
    outcome: "busy",
    attempts: 3,
    message: "lock error, and its host ended while it waited to retry",
  });
  const locked = outcomeOf(2, (s) => {
    setProgress(s, 1, WriterState.between, 2);
    setRetrying(s, 1, 1, true);
  });
  assert.equal(locked.outcome, "locked");
  assert.equal(locked.attempts, 1);
  // Another writer's retry says nothing of writer 1.
  const other = outcomeOf(2, (s) => {
    setProgress(s, 1, WriterState.between, 2);
    setRetrying(s, 0, 5, true);
  });
  assert.equal(other.outcome, "skipped");
});
