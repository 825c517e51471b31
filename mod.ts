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
export {
  type DbLike,
  FixtureDb,
  fixtureDb,
  type FixtureOptions,
  type FixtureSettings,
  JOURNAL_MODES,
  type JournalMode,
  type Synchronous,
  SYNCHRONOUS_MODES,
} from "./lib/fixture.ts";
export {
  createTable,
  dropTable,
  insertRows,
  type Row,
  rowCount,
  type RowFilter,
  type SqlValue,
  type TableSpec,
} from "./lib/table.ts";
export { generateRows, type GenerateRowsOptions } from "./lib/generate_rows.ts";
export {
  type CounterSettings,
  type CounterWorkload,
  type CrashSpec,
  DEFAULT_COUNTER_WRITERS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_THREADS,
  DEFAULT_MAX_WRITERS,
  type HammerPlan,
  type InsertSettings,
  type InsertWorkload,
  MAX_THREADS,
  MAX_WRITERS,
  type Outcome,
  type OutcomeKind,
  type ParentChildrenSettings,
  type ParentChildrenWorkload,
  PROGRESS_INTERVAL_MS,
  type RunOptions,
  type RunProgress,
  type RunSettings,
  type TaskContext,
  type TaskSettings,
  type TaskWorkload,
  type TransactionMode,
  type Workload,
  type WorkloadSettings,
} from "./lib/plan.ts";
export { hammer, liveHosts } from "./lib/hammer.ts";
export {
  type InsertOptions,
  insertRowsInParallel,
} from "./lib/insert_rows_in_parallel.ts";
export {
  probe,
  type ProbeInsertWorkload,
  type ProbeLevel,
  type ProbeOptions,
  type ProbePlan,
  type ProbeResult,
  type ProbeWorkload,
} from "./lib/probe.ts";
export {
  type Baseline,
  type CounterSummary,
  type ErrorCount,
  type HostEnd,
  type HostStatus,
  type HostSummary,
  type LatencySummary,
  type Report,
  type StrategySummary,
  type WriterSummary,
} from "./lib/report/report.ts";
export { formatReport } from "./lib/report/format.ts";
export { htmlReport } from "./lib/report/html.ts";
export {
  assertAcknowledged,
  assertAllOrNothing,
  assertCounter,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  type LockErrorBounds,
  type RowOrder,
} from "./lib/assert.ts";
export {
  DatabaseError,
  type DatabaseErrorOptions,
  type DatabaseProblem,
  DeadlineError,
  RunAbortedError,
  type UnfinishedWriter,
  type WriterPhase,
} from "./lib/errors.ts";
export {
  busyTimeout,
  compose,
  fileLock,
  type FileLockOptions,
  none,
  queue,
  retry,
  type RetryOptions,
  type Strategy,
} from "./lib/strategies.ts";
export { classifyError } from "./lib/sqlite/_classify.ts";
export type { InvalidOption } from "./lib/_validate.ts";
export type {
  ClassifiedError,
  Driver,
  DriverConnection,
  DriverStatement,
  ErrorClass,
  RunResult,
} from "./lib/driver.ts";
