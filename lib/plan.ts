/**
 * The plan of a run: one validated, serialisable object that says everything
 * a run does. Defaults live here and nowhere else.
 *
 * @module
 */
import {
  type DbLike,
  FixtureDb,
  JOURNAL_MODES,
  type JournalMode,
  type Synchronous,
  SYNCHRONOUS_MODES,
} from "./fixture.ts";
import {
  choice,
  integer,
  MAX_TIMEOUT_MS,
  rejectUnknownOptions,
} from "./_validate.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DriverConnection } from "./driver.ts";
import { DEFAULT_DRIVER, driverSpecifier } from "./_driver_load.ts";
import { checkStrategyObject, type Strategy } from "./strategies.ts";
import type { Row } from "./table.ts";

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
  /** Child rows per parent. */
  children: number;
  /** Parents per writer. */
  operations: number;
}

/** The task workload's settings, with defaults applied. */
export interface TaskSettings {
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

/** The counter workload's settings, with defaults applied. */
export interface CounterSettings {
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
  /** Workload kind. */
  workload: Workload["kind"];
  /** Table written to. */
  table: string;
  /** Columns written, in order (inserts). */
  columns: string[];
  /** Rows the run intends to insert (0 for the counter). */
  rows: number;
  /** The counter workload's settings, or `null`. */
  counter: CounterSettings | null;
  /** The task workload's settings, or `null`. */
  task: TaskSettings | null;
  /** The parent/children workload's settings, or `null`. */
  parentChildren: ParentChildrenSettings | null;
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
 * import { resolvePlan } from "./plan.ts";
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
 * import { resolvePlan } from "./plan.ts";
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
 * import { resolvePlan } from "./plan.ts";
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
 * import { resolvePlan } from "./plan.ts";
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
 * import { resolvePlan } from "./plan.ts";
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

const TRANSACTION_MODES: readonly TransactionMode[] = [
  "deferred",
  "immediate",
  "exclusive",
];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isPlainRowValue(value: unknown): boolean {
  return value === null || typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" || typeof value === "boolean" ||
    value instanceof Uint8Array;
}

/**
 * Validates a plan and applies every default, without touching the database
 * or spawning anything.
 *
 * @example Defaults of a plan
 * ```ts
 * import { resolvePlan } from "./plan.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = resolvePlan({
 *   db: "/tmp/example.db",
 *   workload: { kind: "insert", table: "messages", rows: [{ msg: "a" }, { msg: "b" }] },
 * });
 * assert.equal(settings.writers, 2);
 * assert.equal(settings.transaction, "deferred");
 * ```
 *
 * @param plan The plan to check.
 * @returns The run's settings with defaults applied.
 * @throws {TypeError} If an option is unknown or of the wrong type.
 * @throws {RangeError} If a number is out of range or rows are empty.
 */
export function resolvePlan(plan: HammerPlan): RunSettings {
  if (typeof plan !== "object" || plan === null) {
    throw new TypeError(`Invalid plan: ${String(plan)}`);
  }
  rejectUnknownOptions("hammer", plan, ["db", "workload", ...RUN_OPTION_NAMES]);
  const fixture = plan.db instanceof FixtureDb ? plan.db : null;
  let path: string;
  if (fixture !== null) {
    if (fixture.closed) {
      throw new TypeError(`Invalid db: fixture ${fixture.path} is disposed`);
    }
    path = fixture.path;
  } else if (typeof plan.db === "string" && plan.db !== "") {
    path = plan.db;
  } else {
    throw new TypeError(
      `Invalid db: ${
        String(plan.db)
      } (expected a fixture from fixtureDb() or a file path)`,
    );
  }

  const workload = plan.workload;
  if (
    typeof workload !== "object" || workload === null ||
    (workload.kind !== "insert" && workload.kind !== "counter" &&
      workload.kind !== "task" && workload.kind !== "parentChildren")
  ) {
    throw new TypeError(
      `Invalid workload: ${
        JSON.stringify(
          (workload as { kind?: unknown } | null)?.kind ?? workload,
        )
      } (expected { kind: "insert", table, rows } , { kind: "counter", increments } or { kind: "task", module, operations })`,
    );
  }
  let table: string;
  let columns: string[] = [];
  let rowCount = 0;
  let counter: CounterSettings | null = null;
  let task: TaskSettings | null = null;
  let parentChildren: ParentChildrenSettings | null = null;
  let writers: number;
  const rowsPerTransaction = integer(
    "rowsPerTransaction",
    plan.rowsPerTransaction ?? 1,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  if (workload.kind === "insert") {
    rejectUnknownOptions("workload", workload, ["kind", "table", "rows"]);
    table = checkTable(workload.table);
    const rows = workload.rows;
    if (!Array.isArray(rows)) {
      throw new TypeError(
        `Invalid rows: expected an array, got ${typeof rows}`,
      );
    }
    if (rows.length === 0) {
      throw new RangeError("Invalid rows: empty (nothing to write)");
    }
    columns = checkRows(rows);
    rowCount = rows.length;
    // By default one writer per transaction: with one per row, a writer
    // would have a single row and `rowsPerTransaction` nothing to group.
    writers = plan.writers === undefined
      ? Math.min(
        Math.ceil(rows.length / rowsPerTransaction),
        DEFAULT_MAX_WRITERS,
      )
      : integer("writers", plan.writers, 1, MAX_WRITERS);
    if (writers > rows.length) {
      throw new RangeError(
        `Invalid writers: ${writers} (more than the ${rows.length} rows to write)`,
      );
    }
  } else if (workload.kind === "parentChildren") {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "children",
      "operations",
    ]);
    table = "parents";
    parentChildren = {
      children: integer("children", workload.children, 0, 1_000_000),
      operations: integer(
        "operations",
        workload.operations,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
    };
    writers = integer(
      "writers",
      plan.writers ?? DEFAULT_COUNTER_WRITERS,
      1,
      MAX_WRITERS,
    );
  } else if (workload.kind === "task") {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "module",
      "operations",
      "params",
      "transaction",
    ]);
    table = "";
    task = {
      module: checkModule(workload.module),
      operations: integer(
        "operations",
        workload.operations,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
      params: checkParams(workload.params),
      transaction: checkBoolean("transaction", workload.transaction ?? true),
    };
    writers = integer(
      "writers",
      plan.writers ?? DEFAULT_COUNTER_WRITERS,
      1,
      MAX_WRITERS,
    );
  } else {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "table",
      "increments",
      "by",
      "transaction",
    ]);
    table = checkTable(workload.table ?? "counter");
    counter = {
      increments: integer(
        "increments",
        workload.increments,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
      by: integer("by", workload.by ?? 1, 1, 2 ** 31),
      transaction: checkBoolean("transaction", workload.transaction ?? true),
    };
    writers = integer(
      "writers",
      plan.writers ?? DEFAULT_COUNTER_WRITERS,
      1,
      MAX_WRITERS,
    );
  }
  const threads = plan.threads === undefined
    ? Math.min(writers, DEFAULT_MAX_THREADS)
    : integer("threads", plan.threads, 1, Math.min(writers, MAX_THREADS));
  if (threads > MAX_THREADS) {
    throw new RangeError(
      `Invalid threads: ${threads} (at most ${MAX_THREADS} Workers; set threads below writers)`,
    );
  }
  const strategy = checkStrategy(plan, fixture, path);
  const mode = choice(
    "mode",
    plan.mode ?? "worker",
    ["worker", "process"] as const,
  );
  if (mode === "process" && strategy.queue) {
    throw new TypeError(
      `Invalid strategy: ${strategy.name} needs mode "worker" (the queue lives in shared memory); use fileLock() across processes`,
    );
  }
  const busyTimeoutMs = strategy.busyTimeoutMs ?? 0;
  const journalMode = plan.journalMode ?? fixture?.settings.journalMode;
  if (plan.onProgress !== undefined && typeof plan.onProgress !== "function") {
    throw new TypeError(
      `Invalid onProgress: expected a function, got ${typeof plan.onProgress}`,
    );
  }
  if (plan.handleSignals !== undefined) {
    checkBoolean("handleSignals", plan.handleSignals);
  }
  if (plan.signal !== undefined && !(plan.signal instanceof AbortSignal)) {
    throw new TypeError(
      `Invalid signal: expected an AbortSignal, got ${
        plan.signal === null ? "null" : typeof plan.signal
      }`,
    );
  }
  const crash = plan.crash === undefined ? null : checkCrash(
    plan.crash,
    writers,
    (writer) =>
      workload.kind === "insert"
        ? Math.ceil(
          (Math.floor((rowCount - 1 - writer) / writers) + 1) /
            rowsPerTransaction,
        )
        : counter?.increments ?? task?.operations ??
          parentChildren?.operations ?? 0,
  );
  return {
    path,
    driver: driverSpecifier(
      plan.driver ?? fixture?.settings.driver ?? DEFAULT_DRIVER,
    ),
    driverName: null,
    workload: workload.kind,
    table,
    columns,
    rows: rowCount,
    counter,
    task,
    parentChildren,
    writers,
    threads,
    busyWait: threads === writers ? "sqlite" : "async",
    journalMode: journalMode === undefined
      ? null
      : choice("journalMode", journalMode, JOURNAL_MODES),
    synchronous: choice(
      "synchronous",
      plan.synchronous ?? fixture?.settings.synchronous ?? "full",
      SYNCHRONOUS_MODES,
    ),
    busyTimeoutMs,
    transaction: choice(
      "transaction",
      plan.transaction ?? "deferred",
      TRANSACTION_MODES,
    ),
    rowsPerTransaction,
    holdMs: checkHold(plan.holdMs ?? 0),
    deadlineMs: integer(
      "deadlineMs",
      plan.deadlineMs ?? DEFAULT_DEADLINE_MS,
      1,
      MAX_TIMEOUT_MS,
    ),
    crash,
    strategy,
    mode,
  };
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Invalid ${name}: ${JSON.stringify(value)} (expected true or false)`,
    );
  }
  return value;
}

function checkModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string" && module !== "") {
    if (/^(file|https?|data|blob|jsr|npm):/.test(module)) return module;
    if (isAbsolute(module)) return pathToFileURL(module).href;
  }
  throw new TypeError(
    `Invalid module: ${
      JSON.stringify(module)
    } (expected an absolute path or a URL, e.g. new URL("./task.ts", import.meta.url))`,
  );
}

function checkParams(params: unknown): unknown {
  try {
    return structuredClone(params);
  } catch (error) {
    throw new TypeError(
      `Invalid params: ${
        (error as Error).message
      } (they are sent to every writer)`,
      { cause: error },
    );
  }
}

function checkTable(table: unknown): string {
  if (typeof table !== "string" || table === "") {
    throw new TypeError(
      `Invalid table: ${JSON.stringify(table)} (expected a table name)`,
    );
  }
  return table;
}

function checkHold(hold: number | readonly number[]): number | number[] {
  if (typeof hold === "number") {
    return integer("holdMs", hold, 0, MAX_TIMEOUT_MS);
  }
  if (!Array.isArray(hold) || hold.length === 0) {
    throw new TypeError(
      `Invalid holdMs: ${
        JSON.stringify(hold)
      } (expected a number or a non-empty array of numbers)`,
    );
  }
  return hold.map((h, i) => integer(`holdMs[${i}]`, h, 0, MAX_TIMEOUT_MS));
}

/**
 * How long writer `writer` holds each transaction.
 *
 * @example Per-writer holds
 * ```ts
 * import { holdFor, resolvePlan } from "./plan.ts";
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

/** The strategy that runs, with its busy timeout and lock file settled. */
function checkStrategy(
  plan: HammerPlan,
  fixture: FixtureDb | null,
  path: string,
): Strategy {
  const given = plan.strategy;
  if (given !== undefined) checkStrategyObject("strategy", given);
  if (
    given?.busyTimeoutMs !== undefined && plan.busyTimeoutMs !== undefined &&
    given.busyTimeoutMs !== plan.busyTimeoutMs
  ) {
    throw new TypeError(
      `Invalid busyTimeoutMs: ${plan.busyTimeoutMs} conflicts with strategy ${given.name} (busy timeout ${given.busyTimeoutMs} ms); give one of them`,
    );
  }
  let busyTimeoutMs = integer(
    "busyTimeoutMs",
    given?.busyTimeoutMs ?? plan.busyTimeoutMs ??
      fixture?.settings.busyTimeoutMs ?? 0,
    0,
    MAX_TIMEOUT_MS,
  );
  if (
    given?.fileLock !== undefined && busyTimeoutMs === 0 &&
    given.busyTimeoutMs === undefined && plan.busyTimeoutMs === undefined
  ) {
    // A writer holding the file lock that finds SQLite's lock taken meets a
    // connection outside the file lock: a killed Worker's, whose SQLite lock
    // outlives its file lock for a moment, or another program's. It waits
    // for it as SQLite's busy handler does, within the file lock's timeout.
    busyTimeoutMs = given.fileLock.timeoutMs;
  }
  const strategy: Strategy = given === undefined
    ? { name: busyTimeoutMs > 0 ? `busyTimeout(${busyTimeoutMs})` : "none" }
    : structuredClone(given);
  strategy.busyTimeoutMs = busyTimeoutMs;
  if (strategy.fileLock !== undefined && strategy.fileLock.path === null) {
    strategy.fileLock.path = `${path}.dbhammer-lock`;
  }
  if (strategy.fileLock !== undefined) {
    // Every writer opens the lock file: a missing directory would fail each
    // of their operations, none of them a lock error.
    const dir = dirname(resolve(strategy.fileLock.path!));
    let isDir = false;
    try {
      isDir = Deno.statSync(dir).isDirectory;
    } catch {
      // Reported below.
    }
    if (!isDir) {
      throw new RangeError(
        `Invalid fileLock path: ${strategy.fileLock.path} (its directory ${dir} does not exist)`,
      );
    }
  }
  return strategy;
}

function checkRows(rows: readonly Row[]): string[] {
  const first = rows[0];
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw new TypeError(`Invalid rows[0]: expected an object of column values`);
  }
  const columns = Object.keys(first);
  const expected = columns.join(", ");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new TypeError(
        `Invalid rows[${i}]: expected an object of column values`,
      );
    }
    const keys = Object.keys(row);
    // Values are read by name: the same columns in another order are fine.
    if (
      keys.length !== columns.length ||
      (keys.some((key, k) => key !== columns[k]) &&
        !keys.every((key) => Object.hasOwn(first, key)))
    ) {
      throw new TypeError(
        `Invalid rows[${i}]: its columns (${
          keys.join(", ")
        }) differ from rows[0]'s (${expected})`,
      );
    }
    for (const key of keys) {
      const value = row[key];
      if (!isPlainRowValue(value)) {
        throw new TypeError(
          `Invalid rows[${i}].${key}: ${typeof value} cannot be stored (expected string, number, bigint, boolean, null or Uint8Array)`,
        );
      }
      if (
        typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX)
      ) {
        throw new RangeError(
          `Invalid rows[${i}].${key}: ${value}n is outside SQLite's 64-bit integer range (-2^63 to 2^63 - 1)`,
        );
      }
    }
  }
  return columns;
}

function checkCrash(
  crash: CrashSpec,
  writers: number,
  operationsOf: (writer: number) => number,
): Required<CrashSpec> {
  if (typeof crash !== "object" || crash === null) {
    throw new TypeError(`Invalid crash: ${String(crash)}`);
  }
  rejectUnknownOptions("crash", crash, [
    "writer",
    "afterOps",
    "inTransaction",
    "how",
  ]);
  const writer = integer("crash.writer", crash.writer, 0, writers - 1);
  // The crash point is in (or just before) operation afterOps + 1: a writer
  // with no such operation would never crash, and the test would pass
  // without one.
  const operations = operationsOf(writer);
  if (
    typeof crash.afterOps === "number" && Number.isInteger(crash.afterOps) &&
    crash.afterOps >= operations
  ) {
    throw new RangeError(
      `Invalid crash.afterOps: ${crash.afterOps} (writer ${writer} has ${operations} operation${
        operations === 1 ? "" : "s"
      }: expected 0 to ${operations - 1})`,
    );
  }
  if (
    crash.inTransaction !== undefined &&
    typeof crash.inTransaction !== "boolean"
  ) {
    throw new TypeError(
      `Invalid crash.inTransaction: ${
        JSON.stringify(crash.inTransaction)
      } (expected true or false)`,
    );
  }
  return {
    writer,
    afterOps: integer(
      "crash.afterOps",
      crash.afterOps,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    inTransaction: crash.inTransaction ?? true,
    how: choice("crash.how", crash.how ?? "kill", ["kill", "throw"] as const),
  };
}
