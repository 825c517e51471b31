// Private: every operation's outcome once the hosts are gone: those the
// hosts reported, and for the rest what their writer's progress in shared
// memory says they were.
import type { OperationOf, OutcomeTable } from "../host/_outcome_codec.ts";
import {
  inTransaction,
  type Progress,
  readProgress,
  type SharedInts,
} from "../host/_memory.ts";
import type { PlannedOperation, WriterAssignment } from "../host/_protocol.ts";
import type { Outcome } from "../plan.ts";

/**
 * What an operation no host reported was, from its writer's progress when
 * the hosts were gone: `unknown` if it was in flight, or had ended in a
 * process whose last batch of outcomes died with it (it may have
 * committed); the retry's lock error if its writer was waiting to retry
 * it; else `skipped` (never started).
 */
export function unreportedOutcome(
  writer: number,
  op: PlannedOperation,
  index: number,
  progress: Progress,
): Outcome {
  const inFlight = index === progress.opIndex &&
    inTransaction(progress.state);
  // The progress index counts the operations that ended.
  const unreported = index < progress.opIndex;
  // Between two tries of `retry`: it started, failed with a lock error, and
  // was rolled back. A lock error, not a skip.
  const retrying = index === progress.opIndex ? progress.retry : null;
  return {
    writer,
    seq: op.seq,
    keys: op.keys,
    outcome: inFlight || unreported
      ? "unknown"
      : retrying !== null
      ? retrying.outcome
      : "skipped",
    code: null,
    message: inFlight
      ? "in flight when its host ended: it may or may not have committed"
      : unreported
      ? "ended, but its host died before reporting it: it may or may not have committed"
      : retrying !== null
      ? "lock error, and its host ended while it waited to retry"
      : "not started: its host ended first",
    attempts: retrying !== null
      ? retrying.attempts
      : inFlight || unreported
      ? 1
      : 0,
    startMs: null,
    endMs: null,
    lockWaitMs: 0,
    txMs: 0,
    lockAtMs: null,
    commitAtMs: null,
    commitSeq: null,
    rowids: [],
    read: null,
    wrote: null,
    resolved: null,
    fingerprints: op.fingerprints,
  };
}

/** Where {@linkcode collectRest} reads and adds outcomes. */
export interface CollectSources {
  assignments: WriterAssignment[];
  shared: SharedInts;
  /** Worker mode: the outcome table the hosts wrote. */
  table: OutcomeTable | null;
  operationOf: OperationOf;
  /** A message's text, by writer and id, as its host sent it. */
  textOf(writer: number, id: number): string;
}

/**
 * Adds, to the outcomes the hosts sent, every other operation: from the
 * outcome table (Worker mode) those whose writer's progress counts them as
 * ended, then {@linkcode unreportedOutcome} for the rest.
 */
export function collectRest(
  sources: CollectSources,
  outcomes: Outcome[],
  add: (outcome: Outcome) => void,
): void {
  const { assignments, shared, table } = sources;
  const seen = new Set(outcomes.map((o) => `${o.writer}:${o.seq}`));
  for (const writer of assignments) {
    const progress = readProgress(shared, writer.id);
    for (const [index, op] of writer.operations.entries()) {
      if (table !== null && index < progress.opIndex) {
        add(table.read(writer.id, op.seq, sources.operationOf, sources.textOf));
        continue;
      }
      if (seen.has(`${writer.id}:${op.seq}`)) continue;
      outcomes.push(unreportedOutcome(writer.id, op, index, progress));
    }
  }
}
