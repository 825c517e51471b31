// Private: outcomes packed into numbers for the trip from a host to the
// orchestrator. Structured-cloning one object per operation cost more than a
// fast commit; a batch of typed arrays clones as a few memory copies.
import type { Outcome, OutcomeKind } from "./report.ts";

const KINDS: OutcomeKind[] = [
  "ok",
  "busy",
  "locked",
  "error",
  "unknown",
  "skipped",
];
const KIND_INDEX = new Map(KINDS.map((kind, i) => [kind, i]));
/** Numbers per outcome in `fixed`. */
const FIELDS = 13;

/** A batch of outcomes as plain numbers (and the rare message). */
export interface PackedOutcomes {
  /** FIELDS numbers per outcome; NaN stands for null. */
  fixed: Float64Array;
  /** Each outcome's rowids, in order. */
  lists: Float64Array;
  /** Messages of failed outcomes: [index in the batch, message]. */
  messages: [number, string][];
}

const orNaN = (value: number | null): number => value === null ? NaN : value;
const orNull = (value: number): number | null =>
  Number.isNaN(value) ? null : value;

/**
 * Packs outcomes as recorded by a writer. Keys and fingerprints stay behind:
 * the orchestrator has them, by writer and sequence number.
 */
export function packOutcomes(outcomes: readonly Outcome[]): PackedOutcomes {
  const fixed = new Float64Array(outcomes.length * FIELDS);
  let listLength = 0;
  for (const o of outcomes) listLength += o.rowids.length;
  const lists = new Float64Array(listLength);
  const messages: [number, string][] = [];
  let at = 0;
  outcomes.forEach((o, i) => {
    const f = i * FIELDS;
    fixed[f] = o.writer;
    fixed[f + 1] = o.seq;
    fixed[f + 2] = KIND_INDEX.get(o.outcome)!;
    fixed[f + 3] = orNaN(o.code);
    fixed[f + 4] = o.attempts;
    fixed[f + 5] = orNaN(o.startMs);
    fixed[f + 6] = orNaN(o.endMs);
    fixed[f + 7] = o.lockWaitMs;
    fixed[f + 8] = o.txMs;
    fixed[f + 9] = orNaN(o.commitSeq);
    fixed[f + 10] = orNaN(o.read);
    fixed[f + 11] = orNaN(o.wrote);
    fixed[f + 12] = o.rowids.length;
    for (const rowid of o.rowids) lists[at++] = rowid;
    if (o.message !== null) messages.push([i, o.message]);
  });
  return { fixed, lists, messages };
}

/** An operation's keys and fingerprints, as the orchestrator assigned them. */
export type OperationOf = (
  writer: number,
  seq: number,
) => { keys: number[]; fingerprints: string[] };

/** Unpacks what {@linkcode packOutcomes} packed. */
export function unpackOutcomes(
  packed: PackedOutcomes,
  operationOf: OperationOf,
): Outcome[] {
  const { fixed, lists } = packed;
  const messages = new Map(packed.messages);
  const outcomes: Outcome[] = [];
  let at = 0;
  for (let i = 0; i * FIELDS < fixed.length; i++) {
    const f = i * FIELDS;
    const rowids = Array.from(lists.subarray(at, at + fixed[f + 12]));
    at += fixed[f + 12];
    const { keys, fingerprints } = operationOf(fixed[f], fixed[f + 1]);
    outcomes.push({
      writer: fixed[f],
      seq: fixed[f + 1],
      keys,
      outcome: KINDS[fixed[f + 2]],
      code: orNull(fixed[f + 3]),
      message: messages.get(i) ?? null,
      attempts: fixed[f + 4],
      startMs: orNull(fixed[f + 5]),
      endMs: orNull(fixed[f + 6]),
      lockWaitMs: fixed[f + 7],
      txMs: fixed[f + 8],
      commitSeq: orNull(fixed[f + 9]),
      rowids,
      fingerprints,
      read: orNull(fixed[f + 10]),
      wrote: orNull(fixed[f + 11]),
      resolved: null,
    });
  }
  return outcomes;
}
