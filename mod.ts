/**
 * dbhammer: what happens when several writers hit your SQLite database at
 * once? Build a fixture database, hammer it from parallel Deno Workers that
 * start at the same instant, record what every operation did, and assert on
 * it: exact row counts, expected or forbidden lock errors, row order, and "no
 * acknowledged write lost, none duplicated".
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
 * @module
 */
export * from "./lib/fixture.ts";
export * from "./lib/table.ts";
export * from "./lib/generate_rows.ts";
export * from "./lib/plan.ts";
export * from "./lib/probe.ts";
export * from "./lib/hammer.ts";
export * from "./lib/insert_rows_in_parallel.ts";
export * from "./lib/report.ts";
export * from "./lib/html_report.ts";
export * from "./lib/assert.ts";
export * from "./lib/errors.ts";
export * from "./lib/strategies.ts";
export * from "./lib/driver.ts";
