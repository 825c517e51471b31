// Private: a plan's defaults and checks, in one place. Bad values throw a
// TypeError or RangeError naming the option and the value before anything
// is spawned.
import { operationCount } from "./_deal.ts";
import { FixtureDb, JOURNAL_MODES, SYNCHRONOUS_MODES } from "./fixture.ts";
import {
  choice,
  integer,
  invalid,
  MAX_TIMEOUT_MS,
  rejectUnknownOptions,
} from "./_validate.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_DRIVER, driverSpecifier } from "./sqlite/_load.ts";
import { checkStrategyObject, type Strategy } from "./strategies.ts";
import type { Row } from "./table.ts";
import {
  type CrashSpec,
  DEFAULT_COUNTER_WRITERS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_THREADS,
  DEFAULT_MAX_WRITERS,
  type HammerPlan,
  MAX_THREADS,
  MAX_WRITERS,
  RUN_OPTION_NAMES,
  type RunSettings,
  type TransactionMode,
  type WorkloadSettings,
} from "./plan.ts";

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
 * import { resolvePlan } from "./_resolve_plan.ts";
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
    throw invalid("plan", `${String(plan)}`);
  }
  rejectUnknownOptions("hammer", plan, ["db", "workload", ...RUN_OPTION_NAMES]);
  const fixture = plan.db instanceof FixtureDb ? plan.db : null;
  let path: string;
  if (fixture !== null) {
    if (fixture.closed) {
      throw invalid("db", `fixture ${fixture.path} is disposed`);
    }
    path = fixture.path;
  } else if (typeof plan.db === "string" && plan.db !== "") {
    path = plan.db;
  } else {
    throw invalid(
      "db",
      `${String(plan.db)} (expected a fixture from fixtureDb() or a file path)`,
    );
  }

  const workload = plan.workload;
  if (
    typeof workload !== "object" || workload === null ||
    (workload.kind !== "insert" && workload.kind !== "counter" &&
      workload.kind !== "task" && workload.kind !== "parentChildren")
  ) {
    throw invalid(
      "workload",
      `${
        JSON.stringify(
          (workload as { kind?: unknown } | null)?.kind ?? workload,
        )
      } (expected { kind: "insert", table, rows } , { kind: "counter", increments } or { kind: "task", module, operations })`,
    );
  }
  let settled: WorkloadSettings;
  let writers: number;
  const rowsPerTransaction = integer(
    "rowsPerTransaction",
    plan.rowsPerTransaction ?? 1,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  if (workload.kind === "insert") {
    rejectUnknownOptions("workload", workload, ["kind", "table", "rows"]);
    const table = checkTable(workload.table);
    const rows = workload.rows;
    if (!Array.isArray(rows)) {
      throw invalid("rows", `expected an array, got ${typeof rows}`);
    }
    if (rows.length === 0) {
      throw invalid("rows", "empty (nothing to write)", RangeError);
    }
    settled = {
      kind: "insert",
      table,
      columns: checkRows(rows),
      rows: rows.length,
    };
    // By default one writer per transaction: with one per row, a writer
    // would have a single row and `rowsPerTransaction` nothing to group.
    writers = plan.writers === undefined
      ? Math.min(
        Math.ceil(rows.length / rowsPerTransaction),
        DEFAULT_MAX_WRITERS,
      )
      : integer("writers", plan.writers, 1, MAX_WRITERS);
    if (writers > rows.length) {
      throw invalid(
        "writers",
        `${writers} (more than the ${rows.length} rows to write)`,
        RangeError,
      );
    }
  } else if (workload.kind === "parentChildren") {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "children",
      "operations",
    ]);
    settled = {
      kind: "parentChildren",
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
    settled = {
      kind: "task",
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
    settled = {
      kind: "counter",
      table: checkTable(workload.table ?? "counter"),
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
    throw invalid(
      "threads",
      `${threads} (at most ${MAX_THREADS} Workers; set threads below writers)`,
      RangeError,
    );
  }
  const strategy = checkStrategy(plan, fixture, path);
  const mode = choice(
    "mode",
    plan.mode ?? "worker",
    ["worker", "process"] as const,
  );
  if (mode === "process" && strategy.queue) {
    throw invalid(
      "strategy",
      `${strategy.name} needs mode "worker" (the queue lives in shared memory); use fileLock() across processes`,
    );
  }
  const busyTimeoutMs = strategy.busyTimeoutMs ?? 0;
  const journalMode = plan.journalMode ?? fixture?.settings.journalMode;
  if (plan.onProgress !== undefined && typeof plan.onProgress !== "function") {
    throw invalid(
      "onProgress",
      `expected a function, got ${typeof plan.onProgress}`,
    );
  }
  if (plan.handleSignals !== undefined) {
    checkBoolean("handleSignals", plan.handleSignals);
  }
  if (plan.signal !== undefined && !(plan.signal instanceof AbortSignal)) {
    throw invalid(
      "signal",
      `expected an AbortSignal, got ${
        plan.signal === null ? "null" : typeof plan.signal
      }`,
    );
  }
  const crash = plan.crash === undefined ? null : checkCrash(
    plan.crash,
    writers,
    (writer) => operationCount(writer, writers, settled, rowsPerTransaction),
  );
  return {
    path,
    driver: driverSpecifier(
      plan.driver ?? fixture?.settings.driver ?? DEFAULT_DRIVER,
    ),
    driverName: null,
    workload: settled,
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
    throw invalid(name, `${JSON.stringify(value)} (expected true or false)`);
  }
  return value;
}

function checkModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string" && module !== "") {
    if (/^(file|https?|data|blob|jsr|npm):/.test(module)) return module;
    if (isAbsolute(module)) return pathToFileURL(module).href;
  }
  throw invalid(
    "module",
    `${
      JSON.stringify(module)
    } (expected an absolute path or a URL, e.g. new URL("./task.ts", import.meta.url))`,
  );
}

function checkParams(params: unknown): unknown {
  try {
    return structuredClone(params);
  } catch (error) {
    throw invalid(
      "params",
      `${(error as Error).message} (they are sent to every writer)`,
      TypeError,
      { cause: error },
    );
  }
}

function checkTable(table: unknown): string {
  if (typeof table !== "string" || table === "") {
    throw invalid("table", `${JSON.stringify(table)} (expected a table name)`);
  }
  return table;
}

function checkHold(hold: number | readonly number[]): number | number[] {
  if (typeof hold === "number") {
    return integer("holdMs", hold, 0, MAX_TIMEOUT_MS);
  }
  if (!Array.isArray(hold) || hold.length === 0) {
    throw invalid(
      "holdMs",
      `${
        JSON.stringify(hold)
      } (expected a number or a non-empty array of numbers)`,
    );
  }
  return hold.map((h, i) => integer(`holdMs[${i}]`, h, 0, MAX_TIMEOUT_MS));
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
    throw invalid(
      "busyTimeoutMs",
      `${plan.busyTimeoutMs} conflicts with strategy ${given.name} (busy timeout ${given.busyTimeoutMs} ms); give one of them`,
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
      throw invalid(
        "fileLock path",
        `${strategy.fileLock.path} (its directory ${dir} does not exist)`,
        RangeError,
      );
    }
  }
  return strategy;
}

function checkRows(rows: readonly Row[]): string[] {
  const first = rows[0];
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw invalid("rows[0]", `expected an object of column values`);
  }
  const columns = Object.keys(first);
  const expected = columns.join(", ");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw invalid(`rows[${i}]`, `expected an object of column values`);
    }
    const keys = Object.keys(row);
    // Values are read by name: the same columns in another order are fine.
    if (
      keys.length !== columns.length ||
      (keys.some((key, k) => key !== columns[k]) &&
        !keys.every((key) => Object.hasOwn(first, key)))
    ) {
      throw invalid(
        `rows[${i}]`,
        `its columns (${keys.join(", ")}) differ from rows[0]'s (${expected})`,
      );
    }
    for (const key of keys) {
      const value = row[key];
      if (!isPlainRowValue(value)) {
        throw invalid(
          `rows[${i}].${key}`,
          `${typeof value} cannot be stored (expected string, number, bigint, boolean, null or Uint8Array)`,
        );
      }
      if (
        typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX)
      ) {
        throw invalid(
          `rows[${i}].${key}`,
          `${value}n is outside SQLite's 64-bit integer range (-2^63 to 2^63 - 1)`,
          RangeError,
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
    throw invalid("crash", `${String(crash)}`);
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
    throw invalid(
      "crash.afterOps",
      `${crash.afterOps} (writer ${writer} has ${operations} operation${
        operations === 1 ? "" : "s"
      }: expected 0 to ${operations - 1})`,
      RangeError,
    );
  }
  if (
    crash.inTransaction !== undefined &&
    typeof crash.inTransaction !== "boolean"
  ) {
    throw invalid(
      "crash.inTransaction",
      `${JSON.stringify(crash.inTransaction)} (expected true or false)`,
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
