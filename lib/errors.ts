/**
 * Errors a caller may want to catch.
 *
 * @module
 */
import type { Report } from "./report/report.ts";

export {
  DatabaseError,
  type DatabaseErrorOptions,
  type DatabaseProblem,
} from "./sqlite/database_error.ts";

/**
 * Where a writer was, as a fact to branch on: `starting`, `ready`,
 * `between` operations, `queued` (for the strategy's lock), `acquiring` or
 * `waiting` (for SQLite's lock), `holding` it, `committing`, `running` (a
 * task outside a transaction), `retrying` (after a lock error), `halted`
 * (by its host's end) or `done`.
 */
export type WriterPhase =
  | "starting"
  | "ready"
  | "acquiring"
  | "holding"
  | "committing"
  | "between"
  | "waiting"
  | "done"
  | "running"
  | "queued"
  | "retrying"
  | "halted";

/** Where a writer was when the run was ended. */
export interface UnfinishedWriter {
  /** Writer id. */
  writer: number;
  /** Index of the operation it was on. */
  opIndex: number;
  /** Operations assigned to it. */
  operations: number;
  /** What it was doing, in words, e.g. "in a transaction, holding the write lock". */
  state: string;
  /** What it was doing, as a {@linkcode WriterPhase}. */
  phase: WriterPhase;
}

/**
 * A run did not finish before its `deadlineMs`. Its hosts have been stopped;
 * `report` holds everything that was recorded up to then, with the unfinished
 * operations marked `unknown` (in flight) or `skipped` (never started).
 *
 * @example Catch a run that passed its deadline
 * ```ts
 * import { createTable, DeadlineError, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * try {
 *   await insertRowsInParallel(db, generateRows(2), { table: "messages", holdMs: 5000, deadlineMs: 300 });
 * } catch (error) {
 *   if (!(error instanceof DeadlineError)) throw error;
 *   assert.match(error.message, /deadline/);
 *   assert.equal(error.report.ok, 0); // the first writer still holds the lock
 * }
 * ```
 */
export class DeadlineError extends Error {
  /** What the run recorded before it was stopped. */
  readonly report: Report;
  /** The writers that had not finished. */
  readonly unfinished: UnfinishedWriter[];

  /**
   * Creates the error; the orchestrator does this when a run passes its deadline.
   *
   * @param message What happened.
   * @param report The partial report.
   * @param unfinished The writers that had not finished.
   */
  constructor(message: string, report: Report, unfinished: UnfinishedWriter[]) {
    super(message);
    this.name = "DeadlineError";
    this.report = report;
    this.unfinished = unfinished;
  }
}

/**
 * A run was stopped because its `signal` aborted. Like a
 * {@linkcode DeadlineError}: its hosts have been stopped, `report` holds what
 * was recorded, and `cause` is the signal's reason.
 *
 * @example Stop a run from outside
 * ```ts
 * import { createTable, fixtureDb, generateRows, insertRowsInParallel, RunAbortedError } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 500);
 * try {
 *   await insertRowsInParallel(db, generateRows(2), {
 *     table: "messages", holdMs: 5000, signal: controller.signal,
 *   });
 * } catch (error) {
 *   if (!(error instanceof RunAbortedError)) throw error;
 *   assert.match(error.message, /aborted/);
 *   assert.equal(error.report.ok, 0);
 * }
 * ```
 */
export class RunAbortedError extends Error {
  /** What the run recorded before it was stopped. */
  readonly report: Report;
  /** The writers that had not finished. */
  readonly unfinished: UnfinishedWriter[];

  /**
   * Creates the error; the orchestrator does this when a run's signal aborts.
   *
   * @param message What happened.
   * @param report The partial report.
   * @param unfinished The writers that had not finished.
   * @param reason The signal's reason.
   */
  constructor(
    message: string,
    report: Report,
    unfinished: UnfinishedWriter[],
    reason?: unknown,
  ) {
    super(message, { cause: reason });
    this.name = "RunAbortedError";
    this.report = report;
    this.unfinished = unfinished;
  }
}
