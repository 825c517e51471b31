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
   * @default {one per row, at most 100 (rows beyond that are dealt out to the writers)}
   */
  writers?: number;
  /**
   * Number of Workers hosting the writers. With fewer threads than writers a
   * Worker hosts several writers and waits for locks asynchronously.
   *
   * @default {writers (one Worker per writer)}
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
   * Milliseconds spent inside each transaction, after its writes and before
   * its commit, holding the write lock (a long task).
   *
   * @default {0}
   */
  holdMs?: number;
  /**
   * The run is ended with a `DeadlineError` if it has not finished after this
   * many milliseconds.
   *
   * @default {180000}
   */
  deadlineMs?: number;
  /** Kill a writer's host at a chosen point (crash injection). */
  crash?: CrashSpec;
}

/** Insert rows into a table: what `insertRowsInParallel` runs. */
export interface InsertWorkload {
  /** The workload kind. */
  kind: "insert";
  /** Table the rows go into. */
  table: string;
  /** Rows to insert; every row has the same columns. */
  rows: readonly Row[];
}

/** Everything {@linkcode hammer} needs: a database, a workload and options. */
export interface HammerPlan extends RunOptions {
  /** A fixture or a database file path. */
  db: DbLike;
  /** What the writers do. */
  workload: InsertWorkload;
}

/** The settings a run used, with every default applied. Plain data. */
export interface RunSettings {
  /** Database file. */
  path: string;
  /** SQLite driver. */
  driver: string;
  /** Workload kind. */
  workload: "insert";
  /** Table written to. */
  table: string;
  /** Columns written, in order. */
  columns: string[];
  /** Rows the run intends to write. */
  rows: number;
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
  /** Time held inside each transaction. */
  holdMs: number;
  /** Deadline of the run. */
  deadlineMs: number;
  /** Crash injection, if any. */
  crash: Required<CrashSpec> | null;
}

/** Default number of writers is one per row, capped at this. */
export const DEFAULT_MAX_WRITERS = 100;
/** Most writers a run may have. */
export const MAX_WRITERS = 4096;
/** Most Workers a run may start. */
export const MAX_THREADS = 1024;
/** Default deadline of a run, in milliseconds. */
export const DEFAULT_DEADLINE_MS = 180_000;

/** The names of the options in {@linkcode RunOptions}. */
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
];

const TRANSACTION_MODES: readonly TransactionMode[] = [
  "deferred",
  "immediate",
  "exclusive",
];

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
 * import { resolvePlan } from "@dbhammer/dbhammer/plan";
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
    workload.kind !== "insert"
  ) {
    throw new TypeError(
      `Invalid workload: ${
        JSON.stringify(workload?.kind ?? workload)
      } (expected { kind: "insert", table, rows })`,
    );
  }
  rejectUnknownOptions("workload", workload, ["kind", "table", "rows"]);
  if (typeof workload.table !== "string" || workload.table === "") {
    throw new TypeError(
      `Invalid table: ${
        JSON.stringify(workload.table)
      } (expected a table name)`,
    );
  }
  const rows = workload.rows;
  if (!Array.isArray(rows)) {
    throw new TypeError(`Invalid rows: expected an array, got ${typeof rows}`);
  }
  if (rows.length === 0) {
    throw new RangeError("Invalid rows: empty (nothing to write)");
  }
  const columns = checkRows(rows);

  const writers = plan.writers === undefined
    ? Math.min(rows.length, DEFAULT_MAX_WRITERS)
    : integer("writers", plan.writers, 1, MAX_WRITERS);
  if (writers > rows.length) {
    throw new RangeError(
      `Invalid writers: ${writers} (more than the ${rows.length} rows to write)`,
    );
  }
  const threads = plan.threads === undefined
    ? writers
    : integer("threads", plan.threads, 1, Math.min(writers, MAX_THREADS));
  if (threads > MAX_THREADS) {
    throw new RangeError(
      `Invalid threads: ${threads} (at most ${MAX_THREADS} Workers; set threads below writers)`,
    );
  }
  const busyTimeoutMs = integer(
    "busyTimeoutMs",
    plan.busyTimeoutMs ?? fixture?.settings.busyTimeoutMs ?? 0,
    0,
    MAX_TIMEOUT_MS,
  );
  const journalMode = plan.journalMode ?? fixture?.settings.journalMode;
  const crash = plan.crash === undefined
    ? null
    : checkCrash(plan.crash, writers);
  return {
    path,
    driver: "node:sqlite",
    workload: "insert",
    table: workload.table,
    columns,
    rows: rows.length,
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
    rowsPerTransaction: integer(
      "rowsPerTransaction",
      plan.rowsPerTransaction ?? 1,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    holdMs: integer("holdMs", plan.holdMs ?? 0, 0, MAX_TIMEOUT_MS),
    deadlineMs: integer(
      "deadlineMs",
      plan.deadlineMs ?? DEFAULT_DEADLINE_MS,
      1,
      MAX_TIMEOUT_MS,
    ),
    crash,
  };
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
    if (
      keys.length !== columns.length ||
      keys.some((key, k) => key !== columns[k])
    ) {
      throw new TypeError(
        `Invalid rows[${i}]: its columns (${
          keys.join(", ")
        }) differ from rows[0]'s (${expected})`,
      );
    }
    for (const key of keys) {
      if (!isPlainRowValue(row[key])) {
        throw new TypeError(
          `Invalid rows[${i}].${key}: ${typeof row[
            key
          ]} cannot be stored (expected string, number, bigint, boolean, null or Uint8Array)`,
        );
      }
    }
  }
  return columns;
}

function checkCrash(crash: CrashSpec, writers: number): Required<CrashSpec> {
  if (typeof crash !== "object" || crash === null) {
    throw new TypeError(`Invalid crash: ${String(crash)}`);
  }
  rejectUnknownOptions("crash", crash, [
    "writer",
    "afterOps",
    "inTransaction",
    "how",
  ]);
  return {
    writer: integer("crash.writer", crash.writer, 0, writers - 1),
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
