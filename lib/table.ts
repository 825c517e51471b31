/**
 * Table helpers: create, drop, count and seed the tables of a fixture.
 *
 * @module
 */
import { pathOf, requireTable, withConnection } from "./_db.ts";
import type { DbLike } from "./fixture.ts";
import { insertSql, quoteIdent } from "./sqlite/_connection.ts";

export type { SqlValue } from "./driver.ts";
import type { SqlValue } from "./driver.ts";
import { invalid } from "./_validate.ts";

/** A row to insert: column name to value. Booleans are stored as 1 or 0. */
export type Row = Record<string, SqlValue | boolean>;

/** What {@linkcode createTable} creates. */
export interface TableSpec {
  /** Table name. */
  name: string;
  /**
   * Column name to its SQL declaration, e.g. `{ msg: "TEXT NOT NULL" }`.
   * Columns are created in the order given.
   */
  columns: Record<string, string>;
  /**
   * Add `IF NOT EXISTS` instead of failing when the table exists.
   *
   * @default {false}
   */
  ifNotExists?: boolean;
}

/** A `WHERE` clause with bound parameters, for {@linkcode rowCount}. */
export interface RowFilter {
  /** The condition, e.g. `"msg LIKE ?"`. */
  where: string;
  /** Values bound to its `?` parameters. */
  params?: SqlValue[];
}

const SAFE_DECLARATION = /^[^;]*$/;

/**
 * Creates a table from a spec.
 *
 * @example Create the example table
 * ```ts
 * import { createTable, fixtureDb, rowCount } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * assert.equal(rowCount(db, "messages"), 0);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param spec Name and columns.
 * @throws {TypeError} If the spec has no name, no columns or a bad declaration.
 */
export function createTable(db: DbLike, spec: TableSpec): void {
  if (typeof spec !== "object" || spec === null) {
    throw invalid("table spec", `${String(spec)}`);
  }
  if (typeof spec.name !== "string" || spec.name === "") {
    throw invalid("table spec name", `${JSON.stringify(spec.name)}`);
  }
  if (Array.isArray(spec.columns)) {
    throw invalid(
      `table spec columns for "${spec.name}"`,
      `expected an object of name → declaration, e.g. { msg: "TEXT" }, got an array`,
    );
  }
  const entries = typeof spec.columns === "object" && spec.columns !== null
    ? Object.entries(spec.columns)
    : [];
  if (entries.length === 0) {
    throw invalid(`table spec columns for "${spec.name}"`, `none given`);
  }
  for (const [column, declaration] of entries) {
    if (
      typeof declaration !== "string" || !SAFE_DECLARATION.test(declaration)
    ) {
      throw invalid(
        `declaration of column "${column}"`,
        `${JSON.stringify(declaration)}`,
      );
    }
  }
  const columns = entries.map(([column, declaration]) =>
    `${quoteIdent(column)} ${declaration}`.trim()
  );
  const ifNotExists = spec.ifNotExists ? "IF NOT EXISTS " : "";
  withConnection(db, (conn) => {
    conn.prepare(
      `CREATE TABLE ${ifNotExists}${quoteIdent(spec.name)} (${
        columns.join(", ")
      })`,
    ).run();
  });
}

/**
 * Drops a table if it exists.
 *
 * @example Drop a table
 * ```ts
 * import { createTable, dropTable, fixtureDb } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "t", columns: { x: "INTEGER" } });
 * dropTable(db, "t");
 * ```
 *
 * @param db A fixture or a database file path.
 * @param name Table name.
 */
export function dropTable(db: DbLike, name: string): void {
  if (typeof name !== "string" || name === "") {
    throw invalid("table", `${JSON.stringify(name)} (expected a table name)`);
  }
  withConnection(db, (conn) => {
    conn.prepare(`DROP TABLE IF EXISTS ${quoteIdent(name)}`).run();
  });
}

/**
 * Counts the rows of a table, optionally only those matching a condition.
 *
 * @example Count matching rows
 * ```ts
 * import { fixtureDb, rowCount } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)" });
 * assert.equal(rowCount(db, "t"), 3);
 * assert.equal(rowCount(db, "t", { where: "x > ?", params: [1] }), 2);
 * assert.equal(rowCount(db, "t", "x = 3"), 1);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param table Table name.
 * @param filter A `WHERE` condition, as text or with parameters.
 * @returns The number of rows.
 * @throws {RangeError} If the table does not exist.
 */
export function rowCount(
  db: DbLike,
  table: string,
  filter?: string | RowFilter,
): number {
  return withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const where = typeof filter === "string" ? filter : filter?.where;
    const params = typeof filter === "object" ? filter.params ?? [] : [];
    const sql = `SELECT count(*) AS n FROM ${quoteIdent(table)}` +
      (where ? ` WHERE ${where}` : "");
    const row = conn.prepare(sql).get(...params) as { n: number };
    return Number(row.n);
  });
}

/**
 * Converts a row value to what SQLite binds (booleans become 1 or 0).
 *
 * @example Booleans bind as integers
 * ```ts
 * import { toSqlValue } from "./table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(toSqlValue(true), 1);
 * assert.equal(toSqlValue("text"), "text");
 * ```
 */
export function toSqlValue(value: SqlValue | boolean): SqlValue {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

/**
 * Inserts rows one after another in a single transaction, from this thread:
 * the quick way to seed a table before a run.
 *
 * @example Seed a table
 * ```ts
 * import { createTable, fixtureDb, generateRows, insertRows, rowCount } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * insertRows(db, "messages", generateRows(1000));
 * assert.equal(rowCount(db, "messages"), 1000);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param table Table name.
 * @param rows Rows to insert; each row's keys are column names.
 * @returns The rowids of the inserted rows, in order.
 * @throws {RangeError} If the table does not exist.
 */
export function insertRows(
  db: DbLike,
  table: string,
  rows: readonly Row[],
): number[] {
  return withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const statements = new Map<string, ReturnType<typeof conn.prepare>>();
    const rowids: number[] = [];
    conn.prepare("BEGIN IMMEDIATE").run();
    try {
      for (const row of rows) {
        const columns = Object.keys(row);
        const key = columns.join("\u0000");
        let statement = statements.get(key);
        if (statement === undefined) {
          statement = conn.prepare(insertSql(table, columns));
          statements.set(key, statement);
        }
        const result = statement.run(...columns.map((c) => toSqlValue(row[c])));
        rowids.push(Number(result.lastInsertRowid));
      }
      conn.prepare("COMMIT").run();
    } catch (error) {
      if (conn.inTransaction) conn.prepare("ROLLBACK").run();
      throw error;
    }
    return rowids;
  });
}
