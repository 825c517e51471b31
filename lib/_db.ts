// Private: the one way dbhammer opens and checks a database it was given,
// for helpers and runs alike: a fixture's own connection or one opened for
// the call on a plain path, waiting for other connections' locks, with
// errors that name the file.
import { type DbLike, FixtureDb } from "./fixture.ts";
import {
  type Connection,
  HELPER_BUSY_TIMEOUT_MS,
  openConnection,
  setBusyTimeout,
} from "./sqlite/_connection.ts";
import { classifyError } from "./sqlite/_classify.ts";
import type { ClassifiedError } from "./driver.ts";
import {
  DatabaseError,
  type DatabaseProblem,
} from "./sqlite/database_error.ts";
import { invalid } from "./_validate.ts";

/** The database file behind `db`. */
export function pathOf(db: DbLike): string {
  if (db instanceof FixtureDb) return db.path;
  if (typeof db === "string" && db !== "") return db;
  throw invalid(
    "db",
    `${String(db)} (expected a fixture from fixtureDb() or a file path)`,
  );
}

/**
 * What a SQLite error says about the database itself, or `null` when it is
 * about something else (the caller's SQL, a constraint).
 */
export function problemOf(error: ClassifiedError): DatabaseProblem | null {
  if (error.outcome !== "error") return "locked";
  const primary = error.code === null ? null : error.code & 0xff;
  const { message } = error;
  if (primary === 11 || /\bmalformed\b/i.test(message)) return "corrupt";
  if (primary === 26 || /\bnot a database\b/i.test(message)) {
    return "not-a-database";
  }
  if (primary === 8 || /\breadonly database\b/i.test(message)) {
    return "readonly";
  }
  if (
    primary === 10 || primary === 13 || primary === 14 ||
    /\b(disk I\/O error|unable to open database|database or disk is full)\b/i
      .test(message)
  ) return "other";
  return null;
}

/**
 * A {@linkcode DatabaseError} for `error`, thrown while dbhammer tried to
 * `doing` (e.g. "open database") `path`, having waited up to `waitedMs` for
 * locks; `error` itself when it is not about the database.
 */
export function databaseError(
  path: string,
  doing: string,
  error: unknown,
  waitedMs: number,
): unknown {
  if (error instanceof DatabaseError) return error;
  if (error instanceof TypeError || error instanceof RangeError) return error;
  const classified = classifyError(error);
  const problem = problemOf(classified);
  if (problem === null) return error;
  const hint = problem === "locked"
    ? ` (another connection kept it locked for longer than the ${waitedMs} ms dbhammer waited)`
    : problem === "corrupt"
    ? " (the file is damaged: PRAGMA integrity_check says where)"
    : "";
  return new DatabaseError(
    `Cannot ${doing} ${path}: ${classified.message}${hint}`,
    { path, problem, code: classified.code, cause: error },
  );
}

/** Options of {@linkcode withConnection}. */
export interface WithConnectionOptions {
  /**
   * The least time the connection waits for another connection's lock.
   *
   * @default {HELPER_BUSY_TIMEOUT_MS}
   */
  busyTimeoutMs?: number;
}

/** Throws a {@linkcode DatabaseError} unless `path` is an existing file. */
function checkFile(path: string): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    throw new DatabaseError(`Cannot open database ${path}: no such file`, {
      path,
      problem: "missing",
      cause: error,
    });
  }
  if (!stat.isFile) {
    throw new DatabaseError(`Cannot open database ${path}: not a file`, {
      path,
      problem: "not-a-file",
    });
  }
}

/**
 * Runs `fn` with a connection to `db`: the fixture's own one, or a connection
 * opened for the call (and closed after it) on a plain path. Either way it
 * waits at least `busyTimeoutMs` for other connections' locks (a fixture's
 * own timeout is restored after), and a failure that is about the database
 * (locked, corrupt, read-only, not a database) is a {@linkcode DatabaseError}
 * naming the file.
 */
export function withConnection<T>(
  db: DbLike,
  fn: (conn: Connection) => T,
  options: WithConnectionOptions = {},
): T {
  const waitMs = Math.max(
    options.busyTimeoutMs ?? 0,
    HELPER_BUSY_TIMEOUT_MS,
  );
  const path = pathOf(db);
  if (db instanceof FixtureDb) {
    const conn = db.connection;
    const before = busyTimeoutOf(conn);
    if (before < waitMs) setBusyTimeout(conn, waitMs);
    try {
      return fn(conn);
    } catch (error) {
      throw databaseError(path, "use database", error, waitMs);
    } finally {
      if (before < waitMs) setBusyTimeout(conn, before);
    }
  }
  checkFile(path);
  let conn: Connection | undefined;
  try {
    conn = openConnection(path, { busyTimeoutMs: waitMs });
    // Fails here, with a clear message, on a file that is not a database.
    conn.prepare("SELECT count(*) FROM sqlite_schema").get();
  } catch (error) {
    conn?.close();
    throw databaseError(path, "open database", error, waitMs);
  }
  try {
    return fn(conn);
  } catch (error) {
    throw databaseError(path, "use database", error, waitMs);
  } finally {
    conn.close();
  }
}

/** A connection's busy timeout in milliseconds. */
function busyTimeoutOf(conn: Connection): number {
  const row = conn.prepare("PRAGMA busy_timeout").get() as
    | Record<string, unknown>
    | undefined;
  return Number(row?.timeout ?? Object.values(row ?? {})[0] ?? 0);
}

export {
  type ColumnInfo,
  requireTable,
  tableColumns,
} from "./sqlite/_schema.ts";
