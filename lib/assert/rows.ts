/**
 * Assertions on the rows a run wrote: how many, and in which order.
 *
 * @module
 */
import { pathOf, requireTable, withConnection } from "../_db.ts";
import type { DbLike } from "../fixture.ts";
import { quoteIdent } from "../sqlite/_connection.ts";
import type { Report } from "../report/report.ts";
import { rowCount, type SqlValue } from "../table.ts";
import { invalid } from "../_validate.ts";
import { workloadTable } from "../plan.ts";
import { fail, insertReport } from "./_common.ts";

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
