// Private: the one place that opens SQLite connections, through a driver,
// and applies the per-connection settings.
import type { Driver, DriverConnection } from "../driver.ts";
import { invalid } from "../_validate.ts";
import { defaultDriver } from "./_load.ts";

/** An open SQLite connection. */
export type Connection = DriverConnection;

/**
 * How long the connections dbhammer uses for itself (helpers, a run's
 * set-up and checks) wait for another connection's lock, at least.
 */
export const HELPER_BUSY_TIMEOUT_MS = 5000;

/** `PRAGMA synchronous` values in the order of their numbers (0–3). */
const SYNCHRONOUS_BY_NUMBER = ["off", "normal", "full", "extra"];

/** Per-connection settings applied right after a connection opens. */
export interface OpenSettings {
  /** `PRAGMA journal_mode`; `undefined` leaves the file's mode alone. */
  journalMode?: string;
  /** `PRAGMA synchronous`; `undefined` leaves SQLite's default. */
  synchronous?: string;
  /** `PRAGMA busy_timeout` in milliseconds. */
  busyTimeoutMs: number;
}

/** Opens `path` and applies `settings` on that connection (PRAGMAs are per connection). */
export function openConnection(
  path: string,
  settings: OpenSettings,
  driver: Driver = defaultDriver,
): Connection {
  const db = driver.open(path);
  try {
    setBusyTimeout(db, settings.busyTimeoutMs);
    if (settings.journalMode !== undefined) {
      const row = db.prepare(`PRAGMA journal_mode = ${settings.journalMode}`)
        .get() as { journal_mode?: string } | undefined;
      const mode = row?.journal_mode;
      if (mode !== undefined && mode !== settings.journalMode) {
        if (settings.journalMode === "off") {
          throw invalid("journalMode", journalOffRefused(driver.name));
        }
        throw new Error(
          `Cannot set journal_mode to ${settings.journalMode} on ${path}: SQLite kept ${mode}`,
        );
      }
    }
    if (settings.synchronous !== undefined) {
      db.exec(`PRAGMA synchronous = ${settings.synchronous}`);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Sets a connection's `PRAGMA busy_timeout`, in milliseconds. */
export function setBusyTimeout(db: Connection, ms: number): void {
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(ms)}`);
}

function journalOffRefused(driver: string): string {
  return `"off" (the ${driver} driver refuses it${
    driver === "node:sqlite"
      ? ": it opens connections in defensive mode; the libsql driver takes it"
      : ""
  })`;
}

/**
 * Refuses, before anything is created or spawned, a journal mode the
 * driver's connections will not take: `off` is refused in defensive mode
 * (node:sqlite's). Checked on an in-memory database, which takes only
 * `memory` or `off`.
 *
 * @throws {TypeError} If the driver refuses the mode.
 */
export function checkJournalMode(
  driver: Driver,
  journalMode: string | null | undefined,
): void {
  if (journalMode !== "off") return;
  const db = driver.open(":memory:");
  try {
    const row = db.prepare("PRAGMA journal_mode = off").get() as
      | { journal_mode?: string }
      | undefined;
    const kept = String(row?.journal_mode ?? "").toLowerCase();
    if (kept !== "off") {
      throw invalid("journalMode", journalOffRefused(driver.name));
    }
  } finally {
    db.close();
  }
}

/** The journal mode a connection currently uses, lower case. */
export function journalModeOf(db: Connection): string {
  const row = db.prepare("PRAGMA journal_mode").get() as {
    journal_mode: string;
  };
  return row.journal_mode.toLowerCase();
}

/** The synchronous setting of a connection, as a name. */
export function synchronousOf(db: Connection): string {
  const row = db.prepare("PRAGMA synchronous").get() as { synchronous: number };
  return SYNCHRONOUS_BY_NUMBER[row.synchronous] ?? String(row.synchronous);
}

/** The SQLite library version behind the driver. */
export function sqliteVersion(db: Connection): string {
  const row = db.prepare("SELECT sqlite_version() AS v").get() as { v: string };
  return row.v;
}

/** Quotes an SQL identifier (table or column name). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `INSERT INTO table (columns…) VALUES (?, …)`, or `DEFAULT VALUES` for no columns. */
export function insertSql(table: string, columns: readonly string[]): string {
  if (columns.length === 0) {
    return `INSERT INTO ${quoteIdent(table)} DEFAULT VALUES`;
  }
  return `INSERT INTO ${quoteIdent(table)} (${
    columns.map(quoteIdent).join(", ")
  }) VALUES (${columns.map(() => "?").join(", ")})`;
}
