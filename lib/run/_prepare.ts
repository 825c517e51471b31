// Private: what a run checks and changes in the database before its writers
// start: the table and that it can be written (writing nothing), then the
// journal mode, the workload's tables and the baseline.
import { databaseError, problemOf } from "../_db.ts";
import { NUMERIC_TEXT } from "../_fingerprint.ts";
import { taskFunction } from "../host/_writer_context.ts";
import type { JournalMode } from "../fixture.ts";
import { type Baseline, type RunSettings, workloadTable } from "../plan.ts";
import { type ClassifiedError, classifyError } from "../sqlite/_classify.ts";
import {
  type Connection,
  HELPER_BUSY_TIMEOUT_MS,
  journalModeOf,
  quoteIdent,
  sqliteVersion,
} from "../sqlite/_connection.ts";
import { DatabaseError } from "../sqlite/database_error.ts";
import type { Row } from "../table.ts";
import { invalid } from "../_validate.ts";
import type { Inspected } from "../workloads/_module.ts";
import { workloadModule } from "../workloads/_registry.ts";

export type { Inspected };

export interface Prepared {
  baseline: Baseline;
  journalMode: JournalMode;
  sqliteVersion: string;
}

/**
 * The rowids the rows give themselves (in `column`, the rowid alias) at or
 * below `maxRowid` and free now: where the run's rows may land besides
 * above `maxRowid`.
 */
function freeLowKeys(
  conn: Connection,
  table: string,
  rows: readonly Row[],
  column: string,
  maxRowid: number,
): number[] {
  const keys = new Set<number>();
  for (const row of rows) {
    const value = row[column];
    // As SQLite takes it for an INTEGER PRIMARY KEY: "9.0" and "1e1" too.
    const key = typeof value === "number" ? value : typeof value === "bigint" ||
        (typeof value === "string" && NUMERIC_TEXT.test(value))
      ? Number(value)
      : NaN;
    if (Number.isSafeInteger(key) && key <= maxRowid) keys.add(key);
  }
  if (keys.size === 0) return [];
  const taken = new Set(
    (conn.prepare(
      `SELECT rowid AS r FROM ${
        quoteIdent(table)
      } WHERE rowid IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify([...keys])) as { r: number }[]).map((r) =>
      Number(r.r)
    ),
  );
  return [...keys].filter((key) => !taken.has(key));
}

/**
 * Checks the table and that the database can be written, writing nothing:
 * a run that stops here leaves the database as it was.
 */
export function inspectDatabase(
  conn: Connection,
  settings: RunSettings,
): Inspected {
  const inspected = workloadModule(settings.workload).inspect(
    conn,
    settings.workload,
    settings.path,
  );
  // Refuse a database nobody can write before any writer is spawned. A busy
  // error only means someone else is writing right now: not our concern.
  try {
    conn.prepare("BEGIN IMMEDIATE").run();
    try {
      // A write, rolled back: a read-only connection fails only at a write.
      conn.prepare("CREATE TABLE dbhammer_write_probe (x)").run();
    } finally {
      conn.prepare("ROLLBACK").run();
    }
  } catch (error) {
    if (classifyError(error).outcome === "error") {
      throw databaseError(
        settings.path,
        "write to database",
        error,
        settings.busyTimeoutMs,
      );
    }
  }
  return inspected;
}

/**
 * What the run changes before it starts (the journal mode, the workload's
 * own tables), then the baseline it is measured against.
 */
export function applyDatabase(
  conn: Connection,
  settings: RunSettings,
  inspected: Inspected,
  rows: readonly Row[],
): Prepared {
  // WAL lives in the file: switch it here, once, before any writer opens.
  const current = journalModeOf(conn);
  if (
    settings.journalMode !== null &&
    (settings.journalMode === "wal") !== (current === "wal")
  ) {
    try {
      conn.prepare(`PRAGMA journal_mode = ${settings.journalMode}`).get();
    } catch (error) {
      const wrapped = databaseError(
        settings.path,
        "switch the journal mode of",
        error,
        settings.busyTimeoutMs,
      );
      if (wrapped instanceof DatabaseError && wrapped.problem === "locked") {
        throw new DatabaseError(
          `Cannot switch ${settings.path} from journal_mode ${current} to ${settings.journalMode}: ${
            (error as Error).message
          } (leaving WAL needs the only open connection; pass the fixture itself, or close other connections)`,
          { path: settings.path, problem: "locked", cause: error },
        );
      }
      throw wrapped;
    }
  }
  const workload = settings.workload;
  const module = workloadModule(workload);
  module.prepare(conn, workload, settings.path);
  // A task's effects are its own: it has no table to count.
  const table = workloadTable(workload);
  const row = table === "" ? { n: 0, m: 0 } : conn.prepare(
    `SELECT count(*) AS n, coalesce(max(rowid), 0) AS m FROM ${
      quoteIdent(table)
    }`,
  ).get() as { n: number; m: number };
  const maxRowid = Number(row.m);
  const lowKeys = inspected.rowidColumn === null || table === ""
    ? []
    : freeLowKeys(conn, table, rows, inspected.rowidColumn, maxRowid);
  return {
    baseline: {
      rows: Number(row.n),
      maxRowid,
      counter: module.counterValue(conn, workload),
      ...(lowKeys.length > 0 ? { lowKeys } : {}),
    },
    journalMode: (settings.journalMode ?? current) as JournalMode,
    sqliteVersion: sqliteVersion(conn),
  };
}

/**
 * Why host `hostId` could not set up, as an error: a {@linkcode DatabaseError}
 * where the database was the problem (locked for longer than set-up waits,
 * corrupt, read-only).
 */
export function setupFailure(
  settings: RunSettings,
  hostId: number,
  error: ClassifiedError,
): Error {
  const message = `Writer host ${hostId} could not set up (load the driver${
    settings.workload.kind === "task" ? " and the task module" : ""
  }, open ${settings.path}): ${error.message}`;
  const problem = problemOf(error);
  if (problem === null) return new Error(message);
  const waited = Math.max(settings.busyTimeoutMs, HELPER_BUSY_TIMEOUT_MS);
  return new DatabaseError(
    problem === "locked"
      ? `${message} (another connection kept it locked for longer than the ${waited} ms set-up waits)`
      : message,
    { path: settings.path, problem, code: error.code },
  );
}

/** Loads a task module once here, so a bad one fails before any writer starts. */
export async function checkTaskModule(specifier: string): Promise<void> {
  let module: Record<string, unknown>;
  try {
    module = await import(specifier);
  } catch (error) {
    throw new TypeError(
      `Invalid task module ${specifier}: it cannot be loaded: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  taskFunction(module, specifier);
}

/**
 * Refuses a `fileLock` path whose file cannot be created, before anything is
 * spawned: every operation would fail with an error that is no lock error.
 * A lock file this check creates is removed again.
 */
export function checkLockFile(strategy: RunSettings["strategy"]): void {
  const path = strategy.fileLock?.path;
  if (path === undefined || path === null) return;
  let existed = true;
  try {
    Deno.statSync(path);
  } catch {
    existed = false;
  }
  try {
    Deno.openSync(path, { read: true, write: true, create: true }).close();
  } catch (error) {
    throw invalid(
      "fileLock path",
      `${path} (the lock file cannot be created: ${(error as Error).message})`,
      RangeError,
      { cause: error },
    );
  }
  if (!existed) Deno.removeSync(path);
}
