/**
 * A driver for `npm:libsql` (libSQL's better-sqlite3-compatible binding, a
 * prebuilt native add-on installed from npm). Needs `--allow-ffi` (the add-on)
 * besides read and write; its lock errors are `SqliteError`s with `code`
 * `"SQLITE_BUSY"` and `rawCode` 5.
 *
 * @example Run a plan through libsql
 * ```ts ignore
 * import { createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * await insertRowsInParallel(db, generateRows(4), {
 *   table: "messages",
 *   driver: import.meta.resolve("@dbhammer/dbhammer/drivers/libsql"),
 * });
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import Database from "libsql";
import type { Driver, DriverConnection } from "../driver.ts";

interface LibsqlStatement {
  run(
    ...params: unknown[]
  ): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

/** The `npm:libsql` driver. */
const driver: Driver = {
  name: "libsql",
  open(path: string): DriverConnection {
    // timeout 0: dbhammer sets the busy timeout itself, per connection.
    const db = new Database(path, { timeout: 0 });
    return {
      exec: (sql) => {
        db.exec(sql);
      },
      prepare: (sql) => {
        const statement = db.prepare(sql) as unknown as LibsqlStatement;
        // libsql takes blobs as Buffers only (a Uint8Array makes it panic).
        const bind = (params: unknown[]): unknown[] =>
          params.map((p) =>
            p instanceof Uint8Array && !Buffer.isBuffer(p)
              ? Buffer.from(p.buffer, p.byteOffset, p.byteLength)
              : p
          );
        return {
          run: (...params) => statement.run(...bind(params)),
          get: (...params) => statement.get(...bind(params)),
          all: (...params) => statement.all(...bind(params)),
        };
      },
      get inTransaction(): boolean {
        return db.inTransaction;
      },
      close: () => db.close(),
    };
  },
};

export default driver;
