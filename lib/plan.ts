/**
 * The plan of a run: its options, the settings they resolve to (one
 * validated, serialisable object that says everything a run does) and the
 * limits and defaults; `_resolve_plan.ts` applies them.
 *
 * @module
 */
import type { DbLike, JournalMode, Synchronous } from "./fixture.ts";
import type { DriverConnection } from "./driver.ts";
import type { Strategy } from "./strategies.ts";
import type { Row } from "./table.ts";

/**
 * How an operation ended: `ok` (committed), `busy` (SQLITE_BUSY family),
 * `locked` (SQLITE_LOCKED family), `error` (any other error), `unknown` (in
 * flight when its host died or the run was stopped: it may or may not have
 * committed) or `skipped` (never started).
 */
export type OutcomeKind =
  | "ok"
  | "busy"
  | "locked"
  | "error"
  | "unknown"
  | "skipped";

/** One operation (one transaction) of one writer. */
export interface Outcome {
  /** Writer id (0-based). */
  writer: number;
  /** Index of the operation in the writer's sequence. */
  seq: number;
  /** Index of each row of the operation in the run's input rows. */
  keys: number[];
  /** How it ended. */
  outcome: OutcomeKind;
  /** SQLite's (extended) result code of a failure, if the driver gave one. */
  code: number | null;
  /** The failure's message. */
  message: string | null;
  /** How many times the transaction was tried. */
  attempts: number;
  /** Start, in ms since the run started (the start barrier opened); `null` if never started. */
  startMs: number | null;
  /** End, in ms since the run started; `null` if it never ended. */
  endMs: number | null;
  /**
   * Time spent waiting for a lock outside SQLite: the strategy's file lock or
   * queue, retry delays, and asynchronous busy waits.
   */
  lockWaitMs: number;
  /** Time spent inside transactions, over all attempts. */
  txMs: number;
  /**
   * When the operation's last attempt surely held the write lock: from
   * `lockAtMs` (the statement that took it, BEGIN IMMEDIATE/EXCLUSIVE or the
   * first write, had returned) to `commitAtMs` (COMMIT was called), in ms
   * since the run started. The real tenure is a little longer on each side,
   * so two operations' spans never overlap. `null` where it cannot be told:
   * a write outside a transaction, a task in a deferred transaction, or an
   * attempt that never reached COMMIT.
   */
  lockAtMs: number | null;
  /** See {@linkcode Outcome.lockAtMs}. */
  commitAtMs: number | null;
  /** Position in commit order (1 = first commit of the run), for `ok` operations. */
  commitSeq: number | null;
  /** Rowids of the inserted rows, for `ok` operations. */
  rowids: number[];
  /** Fingerprint of each row's values, to recognise it in the database. */
  fingerprints: string[];
  /** Counter workload: the value read, for operations that read it. */
  read: number | null;
  /** Counter workload: the value written (read + by). */
  wrote: number | null;
  /**
   * For an `unknown` operation, what the database showed after the run:
   * `present` (it committed; `rowids` says where), `absent` (it did not), or
   * `null` where that cannot be told (other outcomes; counter increments
   * whose number does not settle it).
   */
  resolved: "present" | "absent" | null;
}

/** How a writer opens its transactions: `BEGIN DEFERRED`, `IMMEDIATE` or `EXCLUSIVE`. */
export type TransactionMode = "deferred" | "immediate" | "exclusive";

/** Kills a writer's host at a chosen point, to test what survives a crash. */
export interface CrashSpec {
  /** The writer (0-based) whose host is killed. */
  writer: number;
  /** How many of its operations complete before the crash. */
  afterOps: number;
  /**
   * Crash inside the next transaction (after its writes, before commit)
   * rather than between transactions.
   *
   * @default {true}
   */
  inTransaction?: boolean;
  /**
   * `kill`: the host is terminated from outside. `throw`: the host throws an
   * uncaught error, as a bug in a writer would.
   *
   * @default {"kill"}
   */
  how?: "kill" | "throw";
}

/** Options shared by {@linkcode hammer} and `insertRowsInParallel`. */
export interface RunOptions {
  /**
   * Number of writers: connections that contend for the database.
   *
   * @default {one per transaction (per row, unless `rowsPerTransaction` is more), at most 100 (rows beyond that are dealt out to the writers)}
   */
  writers?: number;
  /**
   * Number of Workers (or processes) hosting the writers, like pgbench's
   * `-j` threads for its `-c` clients. With fewer threads than writers a host
   * runs several writers, their connections' busy timeout is 0 and they wait
   * for locks asynchronously on SQLite's own busy schedule, so no writer
   * blocks its thread. `threads: writers` gives every writer its own host,
   * waiting inside SQLite.
   *
   * @default {min(writers, DEFAULT_MAX_THREADS)}
   */
  threads?: number;
  /**
   * Busy timeout of every writer's connection, in milliseconds; 0 makes lock
   * errors surface at once.
   *
   * @default {the fixture's busyTimeoutMs, or 0 for a plain path}
   */
  busyTimeoutMs?: number;
  /**
   * Journal mode; `wal` is set on the file before the run.
   *
   * @default {the fixture's journalMode, or the file's current mode for a plain path}
   */
  journalMode?: JournalMode;
  /**
   * `PRAGMA synchronous` of every writer's connection.
   *
   * @default {the fixture's synchronous, or "full" for a plain path}
   */
  synchronous?: Synchronous;
  /**
   * How each transaction begins.
   *
   * @default {"deferred"}
   */
  transaction?: TransactionMode;
  /**
   * Rows written per transaction (one operation).
   *
   * @default {1}
   */
  rowsPerTransaction?: number;
  /**
   * Milliseconds spent inside each transaction, like a long task: for inserts
   * after the writes and before the commit (holding the write lock); for the
   * counter between the read and the write (computing the new value). An
   * array gives each writer its own: writer `i` holds `holdMs[i % length]`.
   *
   * @default {0}
   */
  holdMs?: number | readonly number[];
  /**
   * The run is ended with a `DeadlineError` if it has not finished after this
   * many milliseconds.
   *
   * @default {180000}
   */
  deadlineMs?: number;
  /** Kill a writer's host at a chosen point (crash injection). */
  crash?: CrashSpec;
  /**
   * Stops the run when it aborts, as the deadline does: the run rejects with
   * a `RunAbortedError` holding what was recorded (or with the signal's
   * reason, if it aborted before the run started).
   */
  signal?: AbortSignal;
  /**
   * Called about every {@linkcode PROGRESS_INTERVAL_MS} while the writers
   * run, with the run's progress so far (for a progress line, as pgbench's
   * `-P` prints), and once more with the final counts when every writer has
   * ended. If it throws, the run is stopped and rejects with that error.
   */
  onProgress?: (progress: RunProgress) => void;
  /**
   * What SIGINT (Ctrl-C) and SIGTERM do while the run is in progress. `true`:
   * the run is undone at once (its hosts killed, its temp files removed) and
   * the process exits with 130 or 143, as the signal would have ended it;
   * without this, host processes outlive a script that is interrupted.
   * `false` leaves the signals to you: abort the run's `signal` from your
   * own listener (as the CLI does, to report what the run recorded).
   *
   * @default {true}
   */
  handleSignals?: boolean;
  /**
   * How writers make concurrent writes safe: `none()`, `busyTimeout(ms)`,
   * `retry(…)`, `fileLock(…)`, `queue()` or a `compose(…)` of them. A
   * strategy's busy timeout and the `busyTimeoutMs` option are the same
   * setting: give one of them.
   *
   * @default {busyTimeout(busyTimeoutMs), or none() for 0}
   */
  strategy?: Strategy;
  /**
   * Where writers run: `worker` (Deno Workers of this process) or `process`
   * (subprocesses running the same host module: real multi-process
   * behaviour, and a crash is a real SIGKILL). `threads` is then the number
   * of processes. The `queue()` strategy needs `worker`.
   *
   * @default {"worker"}
   */
  mode?: "worker" | "process";
  /**
   * The driver module every writer opens its connection with: a URL or
   * specifier whose default export is a `Driver` (built in:
   * `drivers/node_sqlite.ts`, `drivers/libsql.ts`).
   *
   * @default {the fixture's driver; for a path, the built-in node:sqlite driver}
   */
  driver?: string | URL;
}

/** A run's progress while its writers run, as `onProgress` gets it. */
export interface RunProgress {
  /** Milliseconds since the writers started. */
  elapsedMs: number;
  /** Operations committed so far. */
  committed: number;
  /** Operations the run intends. */
  intended: number;
  /** Operations that ended with a lock error so far. */
  lockErrors: number;
}

/**
 * How often `onProgress` is called while the writers run, in milliseconds.
 *
 * @example The interval
 * ```ts
 * import { PROGRESS_INTERVAL_MS } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PROGRESS_INTERVAL_MS, 250);
 * ```
 */
export const PROGRESS_INTERVAL_MS = 250;

/** Insert rows into a table: what `insertRowsInParallel` runs. */
export interface InsertWorkload {
  /** The workload kind. */
  kind: "insert";
  /** Table the rows go into. */
  table: string;
  /** Rows to insert; every row has the same columns. */
  rows: readonly Row[];
}

/**
 * Read-modify-write of a counter, as application code does it: read the
 * value, compute, write value + `by`. With `transaction: true` (the default)
 * the read and the write share one transaction; with `false` they are two
 * statements, and concurrent writers lose updates.
 */
export interface CounterWorkload {
  /** The workload kind. */
  kind: "counter";
  /**
   * Table holding the counter (`id INTEGER PRIMARY KEY, n INTEGER`), created
   * with its row `id = 1` if missing.
   *
   * @default {"counter"}
   */
  table?: string;
  /** Increments per writer (one operation each). */
  increments: number;
  /**
   * Amount added by each increment.
   *
   * @default {1}
   */
  by?: number;
  /**
   * Read and write in one transaction.
   *
   * @default {true}
   */
  transaction?: boolean;
}

/**
 * A custom task: a module whose default export (or export named `task`) is
 * called once per operation with the writer's own connection. dbhammer runs
 * it under the run's strategy, inside a transaction unless told otherwise,
 * and records each call's outcome.
 */
export interface TaskWorkload {
  /** The workload kind. */
  kind: "task";
  /** The task module: an absolute path, or a `file:`/`https:` URL. */
  module: string | URL;
  /** Operations (calls) per writer. */
  operations: number;
  /**
   * Passed to every call as `ctx.params`; must survive `structuredClone`.
   *
   * @default {undefined}
   */
  params?: unknown;
  /**
   * Wrap each call in `BEGIN` … `COMMIT` (with the run's transaction mode).
   *
   * @default {true}
   */
  transaction?: boolean;
}

/** What a task's function receives on every call. */
export interface TaskContext {
  /** The writer's own connection, opened with the run's driver. */
  db: DriverConnection;
  /** Writer id (0-based). */
  writer: number;
  /** Index of this operation in the writer's sequence. */
  seq: number;
  /** `TaskWorkload.params`. */
  params: unknown;
}

/**
 * A multi-statement transaction: a parent row, then `children` child rows
 * that point to it, all or nothing. Tables are created if missing:
 * `parents(id INTEGER PRIMARY KEY, writer, seq)` and
 * `children(id INTEGER PRIMARY KEY, parent_id, i)`.
 */
export interface ParentChildrenWorkload {
  /** The workload kind. */
  kind: "parentChildren";
  /** Child rows per parent. */
  children: number;
  /** Parents (transactions) per writer. */
  operations: number;
}

/** What the writers do. */
export type Workload =
  | InsertWorkload
  | CounterWorkload
  | TaskWorkload
  | ParentChildrenWorkload;

/** The parent/children workload's settings. */
export interface ParentChildrenSettings {
  /** The workload. */
  kind: "parentChildren";
  /** Child rows per parent. */
  children: number;
  /** Parents per writer. */
  operations: number;
}

/** The task workload's settings, with defaults applied. */
export interface TaskSettings {
  /** The workload. */
  kind: "task";
  /** The task module's URL. */
  module: string;
  /** Operations per writer. */
  operations: number;
  /** Passed to every call. */
  params: unknown;
  /** Each call inside a transaction. */
  transaction: boolean;
}

/** Everything {@linkcode hammer} needs: a database, a workload and options. */
export interface HammerPlan extends RunOptions {
  /** A fixture or a database file path. */
  db: DbLike;
  /** What the writers do. */
  workload: Workload;
}

/** The table's state before the run, to tell old rows from new ones. */
export interface Baseline {
  /** Rows in the table before the run. */
  rows: number;
  /** Largest rowid before the run (0 for an empty table). */
  maxRowid: number;
  /** Counter workload: the counter's value before the run, else `null`. */
  counter: number | null;
  /**
   * Rowids at or below `maxRowid`, free before the run, that the run's rows
   * bring themselves (their INTEGER PRIMARY KEY): where to look for the
   * run's rows besides above `maxRowid`. Empty or absent when none.
   */
  lowKeys?: number[];
}

/** The insert workload's settings, with defaults applied. */
export interface InsertSettings {
  /** The workload. */
  kind: "insert";
  /** Table written to. */
  table: string;
  /** Columns written, in order. */
  columns: string[];
  /** Rows the run intends to insert. */
  rows: number;
}

/** A workload's settings, by `kind`. */
export type WorkloadSettings =
  | InsertSettings
  | CounterSettings
  | TaskSettings
  | ParentChildrenSettings;

/** The counter workload's settings, with defaults applied. */
export interface CounterSettings {
  /** The workload. */
  kind: "counter";
  /** Its table (columns `id` and `n`). */
  table: string;
  /** Increments per writer. */
  increments: number;
  /** Amount per increment. */
  by: number;
  /** Read and write in one transaction. */
  transaction: boolean;
}

/** The settings a run used, with every default applied. Plain data. */
export interface RunSettings {
  /** Database file. */
  path: string;
  /** The driver module (a URL), see `Driver`. */
  driver: string;
  /** The driver's name, e.g. `node:sqlite`; `null` until the run loads it. */
  driverName: string | null;
  /** What the writers do, by `kind`, with its defaults applied. */
  workload: WorkloadSettings;
  /** Writers (connections). */
  writers: number;
  /** Workers hosting them. */
  threads: number;
  /**
   * Who waits for locks: `sqlite` (SQLite's busy handler, one writer per
   * thread) or `async` (writers sharing a thread wait without blocking it).
   */
  busyWait: "sqlite" | "async";
  /** Journal mode; `null` until the run reads the file's mode. */
  journalMode: JournalMode | null;
  /** `PRAGMA synchronous`. */
  synchronous: Synchronous;
  /** Busy timeout in milliseconds. */
  busyTimeoutMs: number;
  /** Transaction mode. */
  transaction: TransactionMode;
  /** Rows per transaction. */
  rowsPerTransaction: number;
  /** Time held inside each transaction (per writer, if an array). */
  holdMs: number | number[];
  /** Deadline of the run. */
  deadlineMs: number;
  /** Crash injection, if any. */
  crash: Required<CrashSpec> | null;
  /** The lock strategy; its busy timeout equals `busyTimeoutMs`. */
  strategy: Strategy;
  /** Where writers run. */
  mode: "worker" | "process";
}

/**
 * Default number of writers of a counter or task run.
 *
 * @example A counter run without `writers`
 * ```ts
 * import { DEFAULT_COUNTER_WRITERS } from "@dbhammer/dbhammer";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * const s = resolvePlan({ db: "/tmp/x.db", workload: { kind: "counter", increments: 1 } });
 * assert.equal(s.writers, DEFAULT_COUNTER_WRITERS);
 * ```
 */
export const DEFAULT_COUNTER_WRITERS = 4;
/**
 * Default number of writers of an insert run is one per transaction (rows
 * divided by `rowsPerTransaction`, rounded up), capped at this.
 *
 * @example Rows beyond the cap are dealt out
 * ```ts
 * import { DEFAULT_MAX_WRITERS, generateRows } from "@dbhammer/dbhammer";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * const rows = generateRows(DEFAULT_MAX_WRITERS + 1);
 * const s = resolvePlan({ db: "/tmp/x.db", workload: { kind: "insert", table: "t", rows } });
 * assert.equal(s.writers, DEFAULT_MAX_WRITERS);
 * ```
 */
export const DEFAULT_MAX_WRITERS = 100;
/**
 * Most writers a run may have.
 *
 * @example More writers are refused
 * ```ts
 * import { MAX_WRITERS } from "@dbhammer/dbhammer";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() =>
 *   resolvePlan({
 *     db: "/tmp/x.db",
 *     workload: { kind: "counter", increments: 1 },
 *     writers: MAX_WRITERS + 1,
 *   }), RangeError);
 * ```
 */
export const MAX_WRITERS = 4096;
/**
 * Default cap on the hosts of a run: twice the CPU cores, at least 4. A Worker
 * costs tens of milliseconds and megabytes to start; more threads than this
 * add contention nobody asked for, not parallelism.
 *
 * @example 100 writers share the default threads
 * ```ts
 * import { DEFAULT_MAX_THREADS, generateRows } from "@dbhammer/dbhammer";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * const rows = generateRows(100);
 * const s = resolvePlan({ db: "/tmp/x.db", workload: { kind: "insert", table: "t", rows } });
 * assert.equal(s.threads, Math.min(100, DEFAULT_MAX_THREADS));
 * ```
 */
export const DEFAULT_MAX_THREADS: number = Math.max(
  4,
  2 * (navigator.hardwareConcurrency || 1),
);
/**
 * Most Workers a run may start.
 *
 * @example The limit
 * ```ts
 * import { MAX_THREADS } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_THREADS, 1024);
 * ```
 */
export const MAX_THREADS = 1024;
/**
 * Default deadline of a run, in milliseconds.
 *
 * @example A run's deadline unless set
 * ```ts
 * import { DEFAULT_DEADLINE_MS } from "@dbhammer/dbhammer";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * const s = resolvePlan({ db: "/tmp/x.db", workload: { kind: "counter", increments: 1 } });
 * assert.equal(s.deadlineMs, DEFAULT_DEADLINE_MS);
 * ```
 */
export const DEFAULT_DEADLINE_MS = 180_000;

/**
 * The names of the options in {@linkcode RunOptions}.
 *
 * @example Every run option has a name here
 * ```ts
 * import { RUN_OPTION_NAMES } from "./plan.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(RUN_OPTION_NAMES.includes("busyTimeoutMs"));
 * ```
 */
export const RUN_OPTION_NAMES: readonly (keyof RunOptions)[] = [
  "writers",
  "threads",
  "busyTimeoutMs",
  "journalMode",
  "synchronous",
  "transaction",
  "rowsPerTransaction",
  "holdMs",
  "deadlineMs",
  "crash",
  "signal",
  "onProgress",
  "handleSignals",
  "strategy",
  "mode",
  "driver",
];

/**
 * How long writer `writer` holds each transaction.
 *
 * @example Per-writer holds
 * ```ts
 * import { holdFor } from "./plan.ts";
 * import { resolvePlan } from "./_resolve_plan.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = resolvePlan({
 *   db: "/tmp/example.db",
 *   workload: { kind: "counter", increments: 1 },
 *   writers: 3,
 *   holdMs: [100, 300],
 * });
 * assert.deepEqual([0, 1, 2].map((w) => holdFor(settings, w)), [100, 300, 100]);
 * ```
 */
export function holdFor(settings: RunSettings, writer: number): number {
  const hold = settings.holdMs;
  return typeof hold === "number" ? hold : hold[writer % hold.length];
}

/**
 * The table a run writes: an insert's or a counter's own, `parents` for
 * parents and children, `""` for a task (whose effects are its own).
 *
 * @example The table of a counter run
 * ```ts
 * import { workloadTable } from "./plan.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   workloadTable({ kind: "counter", table: "c", increments: 1, by: 1, transaction: true }),
 *   "c",
 * );
 * ```
 */
export function workloadTable(workload: WorkloadSettings): string {
  switch (workload.kind) {
    case "insert":
    case "counter":
      return workload.table;
    case "parentChildren":
      return "parents";
    case "task":
      return "";
  }
}
