/**
 * The driver seam: dbhammer talks to SQLite only through a driver, so the
 * same plan runs through whichever binding your application uses. A driver
 * is a module (Workers and subprocesses load it by specifier) whose default
 * export, or export named `driver`, is a {@linkcode Driver}.
 *
 * Built in: `@dbhammer/dbhammer/drivers/node-sqlite` (the default, Deno's
 * `node:sqlite`) and `@dbhammer/dbhammer/drivers/libsql` (`npm:libsql`).
 *
 * @example A driver module of your own
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import type { Driver } from "@dbhammer/dbhammer";
 *
 * const driver: Driver = {
 *   name: "my-node-sqlite",
 *   open(path) {
 *     const db = new DatabaseSync(path);
 *     return {
 *       exec: (sql) => db.exec(sql),
 *       prepare: (sql) => db.prepare(sql) as never,
 *       get inTransaction() {
 *         return db.isTransaction;
 *       },
 *       close: () => db.close(),
 *     };
 *   },
 * };
 * export default driver;
 * ```
 *
 * @module
 */

/** A value SQLite can store and return: text, number, integer, blob or NULL. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** How a failed statement is classified. */
export type ErrorClass = "busy" | "locked" | "error";

/** A classified SQLite error, safe to send with `postMessage`. */
export interface ClassifiedError {
  /** `busy` (SQLITE_BUSY family), `locked` (SQLITE_LOCKED family) or `error`. */
  outcome: ErrorClass;
  /** SQLite's (extended) result code, or `null` where the binding gave none. */
  code: number | null;
  /** The error message. */
  message: string;
}

/** What `run()` of a write statement returns. */
export interface RunResult {
  /** Rows changed. */
  changes: number | bigint;
  /** Rowid of the last row inserted by this connection. */
  lastInsertRowid: number | bigint;
}

/** A prepared statement. */
export interface DriverStatement {
  /** Runs a statement that returns no rows. */
  run(...params: SqlValue[]): RunResult;
  /**
   * The first row, as an object keyed by column name, or `undefined`. Values
   * are `null`, numbers (or bigints), strings and blobs as `Uint8Array`.
   */
  get(...params: SqlValue[]): Record<string, unknown> | undefined;
  /** Every row, as objects keyed by column name. */
  all(...params: SqlValue[]): Record<string, unknown>[];
}

/** An open connection. */
export interface DriverConnection {
  /** Runs SQL that returns nothing (may hold several statements). */
  exec(sql: string): void;
  /** Prepares one statement. */
  prepare(sql: string): DriverStatement;
  /** Whether a transaction is open on this connection. */
  readonly inTransaction: boolean;
  /** Closes the connection (an open transaction is rolled back). */
  close(): void;
}

/** A SQLite binding, as dbhammer uses it. */
export interface Driver {
  /** Its name in reports, e.g. `node:sqlite`. */
  name: string;
  /** Opens a connection to a database file (creating it if missing). */
  open(path: string): DriverConnection;
  /**
   * Classifies an error the binding threw. Optional: the default accepts
   * node:sqlite's `errcode`, libsql's `code`/`rawCode`, and SQLite's message
   * text alone (as `@db/sqlite` throws on statement paths).
   */
  classify?(error: unknown): ClassifiedError;
}
