/**
 * Assertions that turn a run into a test. Each throws `AssertionError` (from
 * `node:assert`) with a message that says what was expected, what was found,
 * and which writers and rows differ.
 *
 * @module
 */
import { AssertionError } from "node:assert";
import { pathOf, requireTable, withConnection } from "./_db.ts";
import type { DbLike } from "./fixture.ts";
import { acknowledgement } from "./_acknowledged.ts";
import { quoteIdent } from "./sqlite/_connection.ts";
import type { Outcome, Report } from "./report/report.ts";
import { rowCount, type SqlValue } from "./table.ts";
import { invalid, rejectUnknownOptions } from "./_validate.ts";
import { workloadTable } from "./plan.ts";

/**
 * The report of an insert run, or a TypeError naming what `name` needs: the
 * other workloads record no rowids, so an order or an acknowledgement
 * checked on them would check nothing.
 */
function insertReport(name: string, report: Report): Report {
  if (
    typeof report !== "object" || report === null ||
    typeof report.settings !== "object" || !Array.isArray(report.outcomes)
  ) {
    throw invalid(
      "report",
      `${name} needs a run's report, got ${
        report === null ? "null" : typeof report
      }`,
    );
  }
  if (report.settings.workload.kind !== "insert") {
    throw invalid(
      "report",
      `${name} needs an insert run (its rows are known by rowid), got a ${report.settings.workload.kind} run`,
    );
  }
  return report;
}

const MAX_LISTED = 20;

function fail(
  message: string,
  actual?: unknown,
  expected?: unknown,
  operator?: string,
): never {
  throw new AssertionError({ message, actual, expected, operator });
}

/** `#0-4, #7, #9-10`: sorted keys as compact ranges. */
function keyRanges(keys: number[]): string {
  const sorted = [...new Set(keys)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `#${sorted[i]}` : `#${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

function listed<T>(items: T[], show: (item: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map(show).join(", ");
  return items.length > MAX_LISTED
    ? `${shown}, … ${items.length - MAX_LISTED} more`
    : shown;
}

/**
 * Asserts that a table holds exactly `expected` rows.
 *
 * @example Exact row count
 * ```ts
 * import { assertRowCount, fixtureDb } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)" });
 * assertRowCount(db, "t", 2);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param table Table name.
 * @param expected Number of rows expected.
 * @throws {AssertionError} If the count differs.
 * @throws {TypeError} If `expected` is not an integer >= 0.
 */
export function assertRowCount(
  db: DbLike,
  table: string,
  expected: number,
): void {
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw invalid(
      "expected row count",
      `${
        typeof expected === "string" ? JSON.stringify(expected) : expected
      } (expected an integer >= 0)`,
    );
  }
  const found = rowCount(db, table);
  if (found !== expected) {
    fail(
      `Expected ${expected} rows in ${table}, found ${found} (${
        found < expected
          ? `${expected - found} missing`
          : `${found - expected} extra`
      })`,
      found,
      expected,
      "===",
    );
  }
}

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

/** An expected row order, for {@linkcode assertRowOrder}. */
export type RowOrder =
  | {
    /** The values of `column`, in rowid order, equal `values` exactly. */
    order: "sequence";
    /** Column compared. */
    column: string;
    /** Expected values, in order. */
    values: readonly unknown[];
  }
  | {
    /**
     * `per-writer`: each writer's rows are in its own submission order.
     * `alternating`: writers take strict turns (round robin, in order of
     * their first row; a writer leaves the cycle after its last row).
     * `grouped`: each writer's rows are contiguous.
     */
    order: "per-writer" | "alternating" | "grouped";
    /** The run whose rows are checked. */
    report: Report;
  };

interface WrittenRow {
  rowid: number;
  writer: number;
  key: number;
}

/** The run's acknowledged rows present in the table, in rowid order. */
function writtenRows(db: DbLike, table: string, report: Report): WrittenRow[] {
  const byRowid = new Map<number, { writer: number; key: number }>();
  for (const o of report.outcomes) {
    if (o.outcome !== "ok") continue;
    o.rowids.forEach((rowid, i) =>
      byRowid.set(rowid, { writer: o.writer, key: o.keys[i] })
    );
  }
  return withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const rowids = conn.prepare(
      `SELECT rowid AS r FROM ${
        quoteIdent(table)
      } WHERE rowid > ? ORDER BY rowid`,
    ).all(report.baseline.maxRowid) as { r: number }[];
    return rowids.flatMap(({ r }) => {
      const source = byRowid.get(Number(r));
      return source === undefined ? [] : [{ rowid: Number(r), ...source }];
    });
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof a === "bigint" || typeof b === "bigint") {
    return String(a) === String(b);
  }
  return Object.is(a, b) || a === b;
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  const text = typeof value === "bigint"
    ? `${value}n`
    : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * Asserts the order of rows in a table (by rowid, which is insertion order):
 * an exact sequence of column values, or — for the rows a run wrote — each
 * writer's rows in its own order, strict alternation between writers, or each
 * writer's rows grouped together.
 *
 * @example Each writer's rows in its own order
 * ```ts
 * import { assertRowOrder, createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(6), {
 *   table: "messages", writers: 2, busyTimeoutMs: 5000,
 * });
 * assertRowOrder(db, "messages", { order: "per-writer", report });
 * ```
 *
 * @example An exact sequence of values
 * ```ts
 * import { assertRowOrder, fixtureDb } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x); INSERT INTO t VALUES ('a'), ('b')" });
 * assertRowOrder(db, "t", { order: "sequence", column: "x", values: ["a", "b"] });
 * ```
 *
 * @param db A fixture or a database file path.
 * @param table Table name.
 * @param expected The order expected.
 * @throws {AssertionError} If the rows are in another order.
 * @throws {TypeError} If `expected` is not a known order, its `column` or
 * `values` are missing, or its report is not of an insert run into `table`.
 */
export function assertRowOrder(
  db: DbLike,
  table: string,
  expected: RowOrder,
): void {
  if (expected?.order === "sequence") {
    if (typeof expected.column !== "string" || expected.column === "") {
      throw invalid(
        "column",
        `${
          JSON.stringify(expected.column)
        } (expected the column whose values are compared)`,
      );
    }
    if (!Array.isArray(expected.values)) {
      throw invalid(
        "values",
        `expected an array, got ${
          expected.values === null ? "null" : typeof expected.values
        }`,
      );
    }
    const values = withConnection(db, (conn) => {
      requireTable(conn, table, pathOf(db));
      const statement = conn.prepare(
        `SELECT ${quoteIdent(expected.column)} AS v FROM ${
          quoteIdent(table)
        } ORDER BY rowid`,
      );
      return (statement.all() as { v: SqlValue }[]).map((r) => r.v);
    });
    const length = Math.max(values.length, expected.values.length);
    for (let i = 0; i < length; i++) {
      if (
        i >= values.length || i >= expected.values.length ||
        !sameValue(values[i], expected.values[i])
      ) {
        fail(
          `Expected ${expected.values.length} values of ${table}.${expected.column} in order, found ${values.length}; first difference at position ${i}: expected ${
            i < expected.values.length ? show(expected.values[i]) : "no row"
          }, found ${i < values.length ? show(values[i]) : "no row"}`,
          values,
          expected.values,
          "deepStrictEqual",
        );
      }
    }
    return;
  }
  if (
    expected?.order !== "per-writer" && expected?.order !== "alternating" &&
    expected?.order !== "grouped"
  ) {
    throw invalid(
      "order",
      `${
        JSON.stringify(
          (expected as { order?: unknown })?.order,
        )
      } (expected sequence, per-writer, alternating or grouped)`,
    );
  }
  const report = insertReport("assertRowOrder", expected.report);
  const written = workloadTable(report.settings.workload);
  if (table !== written) {
    throw invalid(
      "table",
      `${JSON.stringify(table)} is not the table the run wrote (${
        JSON.stringify(written)
      })`,
    );
  }
  const rows = writtenRows(db, table, report);
  const writers = rows.map((r) => r.writer);
  const trail = (at: number): string => {
    const from = Math.max(0, at - 8);
    return `writers in rowid order${from > 0 ? " …" : ":"} ${
      writers.slice(from, at + 8).join(" ")
    }${at + 8 < writers.length ? " …" : ""}`;
  };
  if (expected.order === "per-writer") {
    const last = new Map<number, WrittenRow>();
    for (const row of rows) {
      const before = last.get(row.writer);
      if (before !== undefined && before.key > row.key) {
        fail(
          `Expected each writer's rows in its own submission order, but writer ${row.writer} wrote row #${row.key} (rowid ${row.rowid}) after row #${before.key} (rowid ${before.rowid})`,
        );
      }
      last.set(row.writer, row);
    }
    return;
  }
  if (expected.order === "grouped") {
    const closed = new Set<number>();
    for (let i = 0; i < rows.length; i++) {
      const w = rows[i].writer;
      if (closed.has(w)) {
        fail(
          `Expected each writer's rows to be contiguous, but writer ${w}'s rows are split: rowid ${
            rows[i].rowid
          } comes after another writer's rows; ${trail(i)}`,
        );
      }
      if (i + 1 < rows.length && rows[i + 1].writer !== w) closed.add(w);
    }
    return;
  }
  // Alternating: strict round robin in order of first appearance.
  const cycle = [...new Set(writers)];
  const remaining = new Map<number, number>();
  for (const w of writers) remaining.set(w, (remaining.get(w) ?? 0) + 1);
  let next = 0;
  for (let i = 0; i < rows.length; i++) {
    while ((remaining.get(cycle[next]) ?? 0) === 0) {
      next = (next + 1) % cycle.length;
    }
    const want = cycle[next];
    if (rows[i].writer !== want) {
      fail(
        `Expected writers to alternate (${
          cycle.join(", ")
        }, …), but position ${i} (rowid ${rows[i].rowid}) is writer ${
          rows[i].writer
        }'s where writer ${want}'s was due; ${trail(i)}`,
      );
    }
    remaining.set(want, (remaining.get(want) ?? 0) - 1);
    next = (next + 1) % cycle.length;
  }
}

/**
 * Asserts that every write a run acknowledged (reported `ok`) is in the table
 * exactly once, with its values, and that no write reported failed is there.
 * Rows are identified by the rowid each insert returned and by a fingerprint
 * of their values, so it works without a unique column; rows that existed
 * before the run are accounted for. Operations whose outcome is `unknown` may
 * be present or absent.
 *
 * @example Nothing lost, nothing duplicated
 * ```ts
 * import { assertAcknowledged, createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(8), { table: "messages" });
 * assertAcknowledged(db, report); // holds whether or not some writers got lock errors
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The run's report.
 * @throws {AssertionError} Listing lost, duplicated and phantom rows by key and rowid.
 * @throws {TypeError} If the report is not of an insert run.
 */
export function assertAcknowledged(db: DbLike, report: Report): void {
  insertReport("assertAcknowledged", report);
  const table = workloadTable(report.settings.workload);
  const { baseline } = report;
  const { found, lost, duplicated, phantom, acknowledged } = acknowledgement(
    db,
    report,
  );
  const problems: string[] = [];
  if (found.before !== baseline.rows) {
    problems.push(
      `  rows that existed before the run: expected ${baseline.rows}, found ${found.before}`,
    );
  }
  if (lost.length > 0) {
    problems.push(
      `  lost (acknowledged, not in the table as written): keys ${
        keyRanges(lost.map((l) => l.written.key))
      }; ${
        listed(lost, (l) =>
          `#${l.written.key} (writer ${l.written.outcome.writer}, rowid ${l.rowid}, ${l.why})`)
      }`,
    );
  }
  if (duplicated.length > 0) {
    problems.push(
      `  duplicated (an acknowledged row present again): ${
        listed(duplicated, (d) =>
          `rowid ${d.rowid} repeats #${d.of.key} (writer ${d.of.outcome.writer})`)
      }`,
    );
  }
  if (phantom.length > 0) {
    problems.push(
      `  phantom (present, not acknowledged): ${
        listed(phantom, (p) =>
          p.from === null
            ? `rowid ${p.rowid} (not written by this run)`
            : `rowid ${p.rowid} = #${p.from.key} (writer ${p.from.outcome.writer}, reported ${p.from.outcome.outcome})`)
      }`,
    );
  }
  if (problems.length > 0) {
    fail(
      `Expected every acknowledged write in ${table} exactly once and no failed write: ${lost.length} lost, ${duplicated.length} duplicated, ${phantom.length} phantom (${
        acknowledged - lost.length
      } of ${acknowledged} acknowledged rows present)\n${problems.join("\n")}`,
    );
  }
}

/**
 * Asserts that `PRAGMA integrity_check` finds nothing wrong.
 *
 * @example A fresh fixture is intact
 * ```ts
 * import { assertIntegrity, fixtureDb } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x)" });
 * assertIntegrity(db);
 * ```
 *
 * @param db A fixture or a database file path.
 * @throws {AssertionError} Listing what the check found.
 */
export function assertIntegrity(db: DbLike): void {
  const found = withConnection(db, (conn) => {
    try {
      const statement = conn.prepare("PRAGMA integrity_check");
      return (statement.all() as { integrity_check: string }[]).map((r) =>
        r.integrity_check
      );
    } catch (error) {
      // A damaged enough file makes the check itself fail.
      return [`integrity_check could not run: ${(error as Error).message}`];
    }
  });
  if (found.length !== 1 || found[0] !== "ok") {
    fail(
      `Expected integrity_check "ok" for ${
        pathOf(db)
      }, found ${found.length} problem${found.length === 1 ? "" : "s"}: ${
        listed(found, (s) => s)
      }`,
      found,
      ["ok"],
    );
  }
}

/**
 * Asserts that a counter run lost no update: the counter's value equals its
 * value before the run plus every acknowledged increment. Lost updates are
 * named by the writers that read the same value (each wrote over the others).
 * An operation whose outcome is `unknown` may or may not have counted.
 *
 * @example Read-modify-write in a transaction, with retries, loses nothing
 * ```ts
 * import { assertCounter, compose, busyTimeout, fixtureDb, hammer, retry } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * const report = await hammer({
 *   db,
 *   workload: { kind: "counter", increments: 10 },
 *   writers: 4,
 *   strategy: compose(busyTimeout(5000), retry({ attempts: 1000, delayMs: 1 })),
 * });
 * assertCounter(db, report);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The counter run's report.
 * @throws {AssertionError} If updates were lost, naming the writers involved.
 * @throws {TypeError} If the report is not of a counter run.
 */
export function assertCounter(db: DbLike, report: Report): void {
  const counter = report.settings.workload;
  if (counter.kind !== "counter") {
    throw invalid(
      "report",
      `assertCounter needs a counter run, got a ${counter.kind} run`,
    );
  }
  const { table } = counter;
  const found = withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const row = conn.prepare(`SELECT n FROM ${quoteIdent(table)} WHERE id = 1`)
      .get() as { n: number } | undefined;
    return Number(row?.n ?? 0);
  });
  const before = report.baseline.counter ?? 0;
  const ok = report.outcomes.filter((o) => o.outcome === "ok");
  const unknown = report.outcomes.filter((o) => o.outcome === "unknown").length;
  const expected = before + ok.length * counter.by;
  if (found >= expected && found <= expected + unknown * counter.by) return;
  // Writers that read the same value each wrote value + by: all but one of
  // those increments were overwritten.
  const byRead = new Map<number, Outcome[]>();
  for (const o of ok) {
    if (o.read === null) continue;
    byRead.set(o.read, [...(byRead.get(o.read) ?? []), o]);
  }
  const clashes = [...byRead.entries()].filter(([, list]) => list.length > 1);
  const lost = Math.round((expected - found) / counter.by);
  fail(
    `Expected counter ${table} = ${expected} (${before} before + ${ok.length} acknowledged increments of ${counter.by}${
      unknown > 0 ? `, up to ${unknown} more in flight` : ""
    }), found ${found}: ${
      lost > 0 ? `${lost} updates lost` : `${-lost} more than acknowledged`
    }${
      clashes.length > 0
        ? `; writers that read the same value: ${
          listed(clashes, ([value, list]) =>
            `${
              [...new Set(list.map((o) => o.writer))].join(", ")
            } read ${value} (${list.length - 1} of ${list.length} lost)`)
        }`
        : ""
    }`,
    found,
    expected,
    "===",
  );
}

/**
 * Asserts all-or-nothing for a parent/children run: every acknowledged
 * parent is present with all its children, no parent of the run exists
 * without all of them, no child exists without its parent, and no parent of
 * a failed operation is present.
 *
 * @example Multi-statement transactions are atomic
 * ```ts
 * import { assertAllOrNothing, fixtureDb, hammer } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * const report = await hammer({
 *   db,
 *   workload: { kind: "parentChildren", children: 5, operations: 4 },
 *   writers: 3,
 *   busyTimeoutMs: 5000,
 * });
 * assertAllOrNothing(db, report);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The parent/children run's report.
 * @throws {AssertionError} Listing incomplete parents, orphans, lost and phantom parents.
 * @throws {TypeError} If the report is not of a parent/children run.
 */
export function assertAllOrNothing(db: DbLike, report: Report): void {
  const spec = report.settings.workload;
  if (spec.kind !== "parentChildren") {
    throw invalid(
      "report",
      `assertAllOrNothing needs a parentChildren run, got a ${spec.kind} run`,
    );
  }
  const { parents, orphans } = withConnection(db, (conn) => ({
    parents: conn.prepare(
      `SELECT p.id AS id, p.writer AS writer, p.seq AS seq,
              (SELECT count(*) FROM children c WHERE c.parent_id = p.id) AS n
       FROM parents p WHERE p.id > ? ORDER BY p.id`,
    ).all(report.baseline.maxRowid) as {
      id: number;
      writer: number;
      seq: number;
      n: number;
    }[],
    orphans: (conn.prepare(
      `SELECT count(*) AS n FROM children c
       WHERE NOT EXISTS (SELECT 1 FROM parents p WHERE p.id = c.parent_id)`,
    ).get() as { n: number }).n,
  }));
  const byOp = new Map(parents.map((p) => [`${p.writer}:${p.seq}`, p]));
  const problems: string[] = [];
  const incomplete = parents.filter((p) => p.n !== spec.children);
  if (incomplete.length > 0) {
    problems.push(
      `  ${incomplete.length} parents without exactly ${spec.children} children: ${
        listed(incomplete, (p) =>
          `parent ${p.id} (writer ${p.writer} op ${p.seq}) has ${p.n}`)
      }`,
    );
  }
  if (orphans > 0) problems.push(`  ${orphans} children without a parent`);
  const lost = report.outcomes.filter((o) =>
    o.outcome === "ok" && !byOp.has(`${o.writer}:${o.seq}`)
  );
  if (lost.length > 0) {
    problems.push(
      `  ${lost.length} acknowledged parents missing: ${
        listed(lost, (o) => `writer ${o.writer} op ${o.seq}`)
      }`,
    );
  }
  const phantom = report.outcomes.filter((o) =>
    (o.outcome === "busy" || o.outcome === "locked" || o.outcome === "error") &&
    byOp.has(`${o.writer}:${o.seq}`)
  );
  if (phantom.length > 0) {
    problems.push(
      `  ${phantom.length} parents present though their operation failed: ${
        listed(phantom, (o) => `writer ${o.writer} op ${o.seq} (${o.outcome})`)
      }`,
    );
  }
  if (problems.length > 0) {
    fail(
      `Expected every transaction of parents and children all or nothing:\n${
        problems.join("\n")
      }`,
    );
  }
}
