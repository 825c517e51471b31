/**
 * The error a database that cannot be used raises, from helpers and runs
 * alike.
 *
 * @module
 */

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
