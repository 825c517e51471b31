/**
 * The common case: insert rows into a table from many writers at once.
 *
 * @module
 */
import type { DbLike } from "./fixture.ts";
import { hammer } from "./hammer.ts";
import { RUN_OPTION_NAMES, type RunOptions } from "./plan.ts";
import { invalid, rejectUnknownOptions } from "./_validate.ts";
import type { Report } from "./report/report.ts";
import type { Row } from "./table.ts";

/** Options for {@linkcode insertRowsInParallel}: the table, plus every run option. */
export interface InsertOptions extends RunOptions {
  /** Table the rows go into. */
  table: string;
}

const INSERT_OPTION_NAMES = ["table", ...RUN_OPTION_NAMES];

/**
 * Inserts rows into a table from parallel writers, each with its own
 * connection, hosted on Deno Workers (or subprocesses), all released at the
 * same instant. By default there is one writer per transaction: per row, or
 * per `rowsPerTransaction` rows (at most 100; further rows are dealt out to
 * them).
 *
 * @example 50 writers, busy timeout 5 s: nothing lost
 * ```ts
 * import {
 *   assertAcknowledged, assertNoLockErrors, assertRowCount,
 *   createTable, fixtureDb, generateRows, insertRowsInParallel,
 * } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(50), {
 *   table: "messages",
 *   busyTimeoutMs: 5000,
 * });
 * assertNoLockErrors(report);
 * assertRowCount(db, "messages", 50);
 * assertAcknowledged(db, report);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param rows Rows to insert; every row has the same columns.
 * @param options The table and run options.
 * @returns The report of the run.
 * @throws {TypeError} If an option, the table or the rows are invalid (before anything is spawned).
 * @throws {RangeError} If a number is out of range or rows are empty (before anything is spawned).
 * @throws {DeadlineError} If the run passes `deadlineMs`; it carries the partial report.
 */
export function insertRowsInParallel(
  db: DbLike,
  rows: readonly Row[],
  options: InsertOptions,
): Promise<Report> {
  if (typeof options !== "object" || options === null) {
    return Promise.reject(
      invalid("options", `${String(options)} (expected at least { table })`),
    );
  }
  try {
    rejectUnknownOptions("insertRowsInParallel", options, INSERT_OPTION_NAMES);
  } catch (error) {
    return Promise.reject(error);
  }
  const { table, ...runOptions } = options;
  return hammer({
    db,
    workload: { kind: "insert", table, rows },
    ...runOptions,
  });
}
