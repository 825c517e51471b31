// Private: outcomes as numbers, for the trip from a host to the orchestrator.
// Structured-cloning one object per operation cost more than a fast commit:
// processes send batches of typed arrays, which clone as a few memory copies;
// Workers write each outcome into a table in shared memory, which costs no
// message at all.
import type { Outcome, OutcomeKind } from "../plan.ts";
import type { WriterOutcome } from "./_writer_context.ts";

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
const FIELDS = 15;

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

/** Writes an outcome's FIELDS numbers at `f`. */
function writeFields(
  fixed: Float64Array,
  f: number,
  o: WriterOutcome,
): void {
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
  fixed[f + 13] = orNaN(o.lockAtMs);
  fixed[f + 14] = orNaN(o.commitAtMs);
}

/** Reads back the outcome {@linkcode writeFields} wrote at `f`. */
function readFields(
  fixed: Float64Array,
  f: number,
  rowids: number[],
  message: string | null,
  operationOf: OperationOf,
): Outcome {
  const { keys, fingerprints } = operationOf(fixed[f], fixed[f + 1]);
  return {
    writer: fixed[f],
    seq: fixed[f + 1],
    keys,
    outcome: KINDS[fixed[f + 2]],
    code: orNull(fixed[f + 3]),
    message,
    attempts: fixed[f + 4],
    startMs: orNull(fixed[f + 5]),
    endMs: orNull(fixed[f + 6]),
    lockWaitMs: fixed[f + 7],
    txMs: fixed[f + 8],
    lockAtMs: orNull(fixed[f + 13]),
    commitAtMs: orNull(fixed[f + 14]),
    commitSeq: orNull(fixed[f + 9]),
    rowids,
    fingerprints,
    read: orNull(fixed[f + 10]),
    wrote: orNull(fixed[f + 11]),
    resolved: null,
  };
}

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
  add(o: WriterOutcome): void {
    const f = this.#count * FIELDS;
    if (f + FIELDS > this.#fixed.length) {
      this.#fixed = grown(this.#fixed, f + FIELDS);
    }
    writeFields(this.#fixed, f, o);
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
export function packOutcomes(
  outcomes: readonly WriterOutcome[],
): PackedOutcomes {
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
    outcomes.push(
      readFields(fixed, f, rowids, messages.get(i) ?? null, operationOf),
    );
  }
  return outcomes;
}

/** Numbers per operation in an {@linkcode OutcomeTable}: FIELDS, then its first rowid cell and its message's id (NaN for none). */
const ROW = FIELDS + 2;

/**
 * Where a run's outcome table lives, and where each writer's part of it
 * starts. Plain data: it travels to Worker hosts, and the buffers are shared.
 */
export interface OutcomeTableShape {
  /** ROW numbers per operation. */
  fixed: SharedArrayBuffer;
  /** Rowid cells. */
  lists: SharedArrayBuffer;
  /** By writer id: the row of its first operation. */
  rows: number[];
  /** By writer id: its first rowid cell. */
  cells: number[];
}

/**
 * Lays out a table with a row per operation of `writers` (indexed by writer
 * id) and room for each operation's rowids: one per row it inserts (one per
 * input row it holds, its `keys`), at least one (a parent's).
 */
export function outcomeTableShape(
  writers: readonly {
    id: number;
    operations: readonly { keys: unknown[] }[];
  }[],
): OutcomeTableShape {
  const rows: number[] = [];
  const cells: number[] = [];
  let row = 0;
  let cell = 0;
  for (const writer of writers) {
    rows[writer.id] = row;
    cells[writer.id] = cell;
    row += writer.operations.length;
    for (const op of writer.operations) cell += Math.max(1, op.keys.length);
  }
  return {
    fixed: new SharedArrayBuffer(Math.max(1, row) * ROW * 8),
    lists: new SharedArrayBuffer(Math.max(1, cell) * 8),
    rows,
    cells,
  };
}

/**
 * A run's outcomes in shared memory (Worker mode): each host writes an
 * operation's outcome into its row as the operation ends, with no message
 * and nothing for the orchestrator to do while the run goes on; the
 * orchestrator reads the rows once the hosts have ended. A row is complete
 * once its writer's progress counts the operation as ended (the progress is
 * stored after the row), so what a killed host wrote is not lost.
 */
export class OutcomeTable {
  #fixed: Float64Array;
  #lists: Float64Array;
  #rows: number[];
  #cursor: number[];

  constructor(shape: OutcomeTableShape) {
    this.#fixed = new Float64Array(shape.fixed);
    this.#lists = new Float64Array(shape.lists);
    this.#rows = shape.rows;
    this.#cursor = [...shape.cells];
  }

  /**
   * Writes the outcome of an operation that ended. `message` is the id of
   * its message's text (see {@linkcode OutcomeTable.read}), or -1 for none.
   * A writer's operations end in order, so its rowids follow one another.
   */
  write(o: WriterOutcome, message: number): void {
    const f = (this.#rows[o.writer] + o.seq) * ROW;
    const fixed = this.#fixed;
    writeFields(fixed, f, o);
    let cell = this.#cursor[o.writer];
    fixed[f + FIELDS] = cell;
    fixed[f + FIELDS + 1] = message < 0 ? NaN : message;
    for (const rowid of o.rowids) this.#lists[cell++] = rowid;
    this.#cursor[o.writer] = cell;
  }

  /**
   * Reads the outcome of operation `seq` of `writer`, which must have ended.
   * `textOf` turns a message id back into its text.
   */
  read(
    writer: number,
    seq: number,
    operationOf: OperationOf,
    textOf: (writer: number, message: number) => string,
  ): Outcome {
    const fixed = this.#fixed;
    const f = (this.#rows[writer] + seq) * ROW;
    const cell = fixed[f + FIELDS];
    const rowids = Array.from(
      this.#lists.subarray(cell, cell + fixed[f + 12]),
    );
    const message = orNull(fixed[f + FIELDS + 1]);
    return readFields(
      fixed,
      f,
      rowids,
      message === null ? null : textOf(writer, message),
      operationOf,
    );
  }
}
