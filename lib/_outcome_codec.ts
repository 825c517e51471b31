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
 * Packs outcomes one at a time, as writers record them, into a batch that
 * grows as needed: no array of records to walk again at send time. Keys and
 * fingerprints stay behind: the orchestrator has them, by writer and
 * sequence number.
 */
export class OutcomePacker {
  #fixed = new Float64Array(64 * FIELDS);
  #lists = new Float64Array(64);
  #count = 0;
  #listLength = 0;
  #messages: [number, string][] = [];

  /** Outcomes packed since the last {@linkcode take}. */
  get size(): number {
    return this.#count;
  }

  /** Packs one outcome. */
  add(o: Outcome): void {
    const f = this.#count * FIELDS;
    if (f + FIELDS > this.#fixed.length) {
      this.#fixed = grown(this.#fixed, f + FIELDS);
    }
    const fixed = this.#fixed;
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
    const end = this.#listLength + o.rowids.length;
    if (end > this.#lists.length) this.#lists = grown(this.#lists, end);
    for (const rowid of o.rowids) this.#lists[this.#listLength++] = rowid;
    if (o.message !== null) this.#messages.push([this.#count, o.message]);
    this.#count++;
  }

  /** The outcomes packed so far, as one batch; the packer starts empty. */
  take(): PackedOutcomes {
    const packed = {
      fixed: this.#fixed.slice(0, this.#count * FIELDS),
      lists: this.#lists.slice(0, this.#listLength),
      messages: this.#messages,
    };
    this.#count = 0;
    this.#listLength = 0;
    this.#messages = [];
    return packed;
  }
}

function grown(
  array: Float64Array<ArrayBuffer>,
  least: number,
): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(Math.max(least, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** Packs outcomes as recorded by writers (see {@linkcode OutcomePacker}). */
export function packOutcomes(outcomes: readonly Outcome[]): PackedOutcomes {
  const packer = new OutcomePacker();
  for (const o of outcomes) packer.add(o);
  return packer.take();
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
