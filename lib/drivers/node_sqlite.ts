/**
 * The default driver: Deno's built-in `node:sqlite` (bundled SQLite, no FFI
 * permission, no download). Write errors from prepared statements carry
 * `errcode` with SQLite's extended result code.
 *
 * @example Run a plan through it explicitly
 * ```ts
 * import { createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * await insertRowsInParallel(db, generateRows(2), {
 *   table: "messages",
 *   driver: new URL("./node_sqlite.ts", import.meta.url),
 * });
 * ```
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import type { Driver, DriverConnection, DriverStatement } from "../driver.ts";

/**
 * Wraps an open `node:sqlite` connection.
 *
 * @example Wrap a connection you opened
 * ```ts
 * import { DatabaseSync } from "node:sqlite";
 * import { wrap } from "@dbhammer/dbhammer/drivers/node-sqlite";
 *
 * const connection = wrap(new DatabaseSync(":memory:"));
 * connection.exec("CREATE TABLE t(x)");
 * connection.close();
 * ```
 */
export function wrap(db: DatabaseSync): DriverConnection {
  return {
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql) as unknown as DriverStatement,
    get inTransaction(): boolean {
      return db.isTransaction;
    },
    close: () => db.close(),
  };
}

/** The `node:sqlite` driver. */
const driver: Driver = {
  name: "node:sqlite",
  open: (path) => wrap(new DatabaseSync(path)),
};

export default driver;
