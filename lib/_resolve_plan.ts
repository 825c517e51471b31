// Private: a plan's defaults and checks, in one place. Bad values throw a
// TypeError or RangeError naming the option and the value before anything
// is spawned.
import { operationCount } from "./_deal.ts";
import { checkBoolean } from "./_plan_checks.ts";
import { resolveWorkload } from "./workloads/_registry.ts";
import { FixtureDb, JOURNAL_MODES, SYNCHRONOUS_MODES } from "./fixture.ts";
import {
  choice,
  integer,
  invalid,
  MAX_TIMEOUT_MS,
  rejectUnknownOptions,
} from "./_validate.ts";
import { dirname, resolve } from "node:path";
import { DEFAULT_DRIVER, driverSpecifier } from "./sqlite/_load.ts";
import { checkStrategyObject, type Strategy } from "./strategies.ts";
import {
  type CrashSpec,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_THREADS,
  type HammerPlan,
  MAX_THREADS,
  RUN_OPTION_NAMES,
  type RunSettings,
  type TransactionMode,
} from "./plan.ts";

const TRANSACTION_MODES: readonly TransactionMode[] = [
  "deferred",
  "immediate",
  "exclusive",
];

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
  const rowsPerTransaction = integer(
    "rowsPerTransaction",
    plan.rowsPerTransaction ?? 1,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const { settings: settled, writers } = resolveWorkload(
    workload,
    plan,
    rowsPerTransaction,
  );
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
