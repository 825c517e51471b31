/**
 * Assertions on a run's lock errors.
 *
 * @module
 */
import type { Outcome, Report } from "../report/report.ts";
import { invalid, rejectUnknownOptions } from "../_validate.ts";
import { fail, listed } from "./_common.ts";

function lockFailures(report: Report): Outcome[] {
  return report.outcomes.filter((o) =>
    o.outcome === "busy" || o.outcome === "locked"
  );
}

function describeFailures(failures: Outcome[]): string {
  return listed(
    failures,
    (o) =>
      `writer ${o.writer} op ${o.seq} ${o.outcome} (${o.code ?? "no code"})`,
  );
}

/**
 * Asserts that no operation of a run failed with a lock error (SQLITE_BUSY or
 * SQLITE_LOCKED).
 *
 * @example A run with a long busy timeout has no lock errors
 * ```ts
 * import { assertNoLockErrors, createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(4), { table: "messages", busyTimeoutMs: 5000 });
 * assertNoLockErrors(report);
 * ```
 *
 * @param report A run's report.
 * @throws {AssertionError} If any operation failed with a lock error.
 */
export function assertNoLockErrors(report: Report): void {
  const failures = lockFailures(report);
  if (failures.length > 0) {
    const writers = new Set(failures.map((o) => o.writer));
    fail(
      `Expected no lock errors, found ${failures.length} (busy ${report.busy}, locked ${report.locked}) from ${writers.size} writer${
        writers.size === 1 ? "" : "s"
      }: ${describeFailures(failures)}`,
      failures.length,
      0,
      "===",
    );
  }
}

/** Bounds for {@linkcode assertLockErrors}. */
export interface LockErrorBounds {
  /**
   * Fewest lock errors expected.
   *
   * @default {1}
   */
  min?: number;
  /**
   * Most lock errors expected.
   *
   * @default {Infinity}
   */
  max?: number;
}

/**
 * Asserts that the number of lock errors of a run lies within bounds (by
 * default: at least one).
 *
 * @example A run without a busy timeout and with a hold gets lock errors
 * ```ts
 * import { assertLockErrors, createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(4), {
 *   table: "messages", busyTimeoutMs: 0, holdMs: 200, writers: 2,
 * });
 * assertLockErrors(report, { min: 1 });
 * ```
 *
 * @param report A run's report.
 * @param bounds `min` and `max`, inclusive.
 * @throws {AssertionError} If the count is outside the bounds.
 * @throws {RangeError} If a bound is not a count >= 0 or `min > max`.
 * @throws {TypeError} If `bounds` is not an object of `min` and `max`.
 */
export function assertLockErrors(
  report: Report,
  bounds: LockErrorBounds = {},
): void {
  if (typeof bounds !== "object" || bounds === null) {
    throw invalid("bounds", `${String(bounds)} (expected { min, max })`);
  }
  rejectUnknownOptions("assertLockErrors bounds", bounds, ["min", "max"]);
  const min = bounds.min ?? 1;
  const max = bounds.max ?? Infinity;
  const count = (n: unknown): boolean =>
    typeof n === "number" && n >= 0 && (Number.isInteger(n) || n === Infinity);
  if (!count(min) || !count(max)) {
    throw invalid(
      "bounds",
      `{ min: ${min}, max: ${max} } (expected counts >= 0)`,
      RangeError,
    );
  }
  if (min > max) {
    throw invalid(
      "bounds",
      `{ min: ${min}, max: ${max} }${
        bounds.min === undefined
          ? " (min defaults to 1; for no lock errors at all use assertNoLockErrors)"
          : ""
      }`,
      RangeError,
    );
  }
  const found = report.lockErrors;
  if (found < min) {
    fail(
      `Expected at least ${min} lock error${
        min === 1 ? "" : "s"
      }, found ${found} (${report.ok}/${report.intended} operations ok, busy timeout ${report.settings.busyTimeoutMs} ms)${
        bounds.min === undefined
          ? " (min defaults to 1; pass min: 0 to allow none)"
          : ""
      }`,
      found,
      min,
      ">=",
    );
  }
  if (found > max) {
    fail(
      `Expected at most ${max} lock error${
        max === 1 ? "" : "s"
      }, found ${found}: ${describeFailures(lockFailures(report))}`,
      found,
      max,
      "<=",
    );
  }
}
