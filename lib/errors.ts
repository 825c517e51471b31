/**
 * Errors a caller may want to catch.
 *
 * @module
 */
import type { Report } from "./report.ts";

/** Where a writer was when the run was ended. */
export interface UnfinishedWriter {
  /** Writer id. */
  writer: number;
  /** Index of the operation it was on. */
  opIndex: number;
  /** Operations assigned to it. */
  operations: number;
  /** What it was doing, e.g. "in a transaction, holding the write lock". */
  state: string;
}

/**
 * What was wrong with a database: `missing` (no such file), `not-a-file` (a
 * directory, say), `not-a-database` (a file SQLite does not recognise),
 * `corrupt` (`SQLITE_CORRUPT`), `locked` (another connection kept it locked
 * for longer than dbhammer waited), `readonly` (it cannot be written), or
 * `other` (any other failure of SQLite's while dbhammer set it up or checked
 * it).
 */
export type DatabaseProblem =
  | "missing"
  | "not-a-file"
  | "not-a-database"
  | "corrupt"
  | "locked"
  | "readonly"
  | "other";

/** What {@linkcode DatabaseError} is made of. */
export interface DatabaseErrorOptions {
  /** The database file. */
  path: string;
  /** What was wrong. */
  problem: DatabaseProblem;
  /** SQLite's (extended) result code, where there was one. */
  code?: number | null;
  /** The error SQLite or the file system threw. */
  cause?: unknown;
}

/**
 * The database given to a run or a helper cannot be used as it is: it does
 * not exist, is not a database, is corrupt, cannot be written, or stayed
 * locked by another connection for longer than dbhammer waits while it sets
 * up or checks a run. Thrown before a run starts, or by a helper; the
 * message names the file. A problem of your input, not of dbhammer: the CLI
 * exits 2 for it.
 *
 * @example Tell a database that cannot be used from other failures
 * ```ts
 * import { DatabaseError, rowCount } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * try {
 *   rowCount("/no/such/dir/app.db", "messages");
 * } catch (error) {
 *   assert.ok(error instanceof DatabaseError);
 *   assert.equal(error.problem, "missing");
 *   assert.equal(error.path, "/no/such/dir/app.db");
 * }
 * ```
 */
export class DatabaseError extends Error {
  /** The database file. */
  readonly path: string;
  /** What was wrong. */
  readonly problem: DatabaseProblem;
  /** SQLite's (extended) result code, or `null`. */
  readonly code: number | null;

  /**
   * Creates the error; dbhammer does this when a database cannot be used.
   *
   * @param message What happened, naming the file.
   * @param options The file, the problem, SQLite's code and the cause.
   */
  constructor(message: string, options: DatabaseErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "DatabaseError";
    this.path = options.path;
    this.problem = options.problem;
    this.code = options.code ?? null;
  }
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
