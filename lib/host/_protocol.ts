// Private: the messages between the orchestrator and a writer host. Plain
// data only: errors are copied into ClassifiedError objects before sending.
import type { ClassifiedError } from "../sqlite/_classify.ts";
import type { RunSettings } from "../plan.ts";
import type { OutcomeTableShape, PackedOutcomes } from "./_outcome_codec.ts";
import type { SqlValue } from "../driver.ts";
import type { Operation } from "./_writer_context.ts";

/**
 * An operation as the orchestrator plans it: which input rows it inserts,
 * and what recognises them in the database afterwards. Their values go to
 * the host ({@linkcode WriterAssignment.values}).
 */
export interface PlannedOperation {
  /** Index of the operation in the writer's own sequence. */
  seq: number;
  /** Index of each row in the run's input rows (inserts). */
  keys: number[];
  /** Each row's fingerprint, to recognise it in the database afterwards. */
  fingerprints: string[];
}

/** A writer's operations, as the orchestrator plans them. */
export interface WriterAssignment {
  /** Writer id. */
  id: number;
  /** Its operations. */
  operations: PlannedOperation[];
  /**
   * Every row's values, row after row, in `RunSettings.columns` order: what
   * its host inserts (see {@linkcode HostWriter}).
   */
  values: SqlValue[];
}

/**
 * A writer as its host gets it: only what the host runs, and flat: one
 * array of values clones several times faster than an object and two
 * arrays per operation (bench/README.md, "Design measurements"); the host
 * rebuilds the operations before the start.
 */
export interface HostWriter {
  /** Writer id. */
  id: number;
  /** How many operations it runs. */
  operations: number;
  /** How many rows its operations insert, all together. */
  rows: number;
  /** Every row's values, row after row, in `RunSettings.columns` order. */
  values: SqlValue[];
}

/** What a host gets of one writer's planned operations. */
export function hostWriter(writer: WriterAssignment): HostWriter {
  let rows = 0;
  for (const op of writer.operations) rows += op.keys.length;
  return {
    id: writer.id,
    operations: writer.operations.length,
    rows,
    values: writer.values,
  };
}

/**
 * The operations of a {@linkcode HostWriter}, rebuilt: its rows dealt out
 * `rowsPerTransaction` to an operation, in order, as they were planned.
 */
export function hostOperations(
  writer: HostWriter,
  rowsPerTransaction: number,
): Operation[] {
  const width = writer.rows === 0 ? 0 : writer.values.length / writer.rows;
  const operations: Operation[] = new Array(writer.operations);
  let row = 0;
  for (let seq = 0; seq < writer.operations; seq++) {
    const count = Math.min(rowsPerTransaction, writer.rows - row);
    const rows: SqlValue[][] = new Array(count);
    for (let i = 0; i < count; i++, row++) {
      rows[i] = writer.values.slice(row * width, (row + 1) * width);
    }
    operations[seq] = { seq, rows };
  }
  return operations;
}

/** Orchestrator → host: everything a host needs. */
export interface HostInit {
  type: "init";
  hostId: number;
  settings: RunSettings;
  /** Worker mode: the shared memory. */
  shared: SharedArrayBuffer | null;
  /** Process mode: the file of shared integers. */
  sharedPath: string | null;
  /** Process mode: the barrier file, held locked until the start. */
  barrierPath: string | null;
  /** Worker mode: the table the outcomes go to, else they go in messages. */
  outcomeTable: OutcomeTableShape | null;
  writers: HostWriter[];
}

/** Writes a message as one frame: its length (4 bytes, LE), then its bytes. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, true);
  out.set(payload, 4);
  return out;
}

/** Splits a byte stream into frames, as they complete. */
export class FrameReader {
  #buffer = new Uint8Array(0);
  /** Adds bytes; returns the payloads of every frame now complete. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 4) {
      const length = new DataView(joined.buffer, offset).getUint32(0, true);
      if (joined.length - offset - 4 < length) break;
      frames.push(joined.slice(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.#buffer = joined.slice(offset);
    return frames;
  }
}

/** Host → orchestrator. */
export type HostMessage =
  | {
    type: "ready";
    hostId: number;
    sqliteVersion: string;
    journalMode: string;
  }
  | { type: "setup-failed"; hostId: number; error: ClassifiedError }
  | { type: "outcomes"; outcomes: PackedOutcomes }
  /** The text of message `id` in the host's outcome table rows. */
  | { type: "text"; hostId: number; id: number; text: string }
  | { type: "crash-point"; writer: number }
  /** Code in the host called `Deno.exit` (a Worker ends without an event). */
  | { type: "exit"; code: number }
  /** A Worker host's module has loaded (sent before anything else). */
  | { type: "loaded" }
  /** A Worker host met an uncaught error and closed itself. */
  | { type: "uncaught"; message: string }
  | { type: "done"; hostId: number };
