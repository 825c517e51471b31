// The insert workload: each operation inserts its rows in one transaction;
// the rows are dealt to the writers like cards.
import type { DriverStatement } from "../driver.ts";
import { affinityOf, readNewRows } from "../_fingerprint.ts";
import {
  DEFAULT_MAX_WRITERS,
  type InsertSettings,
  MAX_WRITERS,
} from "../plan.ts";
import { checkRows, checkTable } from "../_plan_checks.ts";
import { integer, invalid, rejectUnknownOptions } from "../_validate.ts";
import {
  type Connection,
  insertSql,
  quoteIdent,
} from "../sqlite/_connection.ts";
import { type ColumnInfo, requireTable } from "../sqlite/_schema.ts";
import {
  hold,
  type Inspected,
  type Operation,
  type SyncProgress,
  type TransactionContext,
  type TransactionResult,
  type WorkloadModule,
} from "./_module.ts";

type Statements = DriverStatement;
type Context = TransactionContext<Statements>;

/** The table has every column the rows give, and the rows every column it needs. */
function checkColumns(columns: ColumnInfo[], settings: InsertSettings): void {
  const names = new Set(columns.map((c) => c.name));
  for (const column of settings.columns) {
    if (!names.has(column)) {
      throw invalid(
        "rows",
        `"${column}" is not a column of ${settings.table} (its columns: ${
          [...names].join(", ")
        })`,
        TypeError,
        { reason: "not-a-column", column, table: settings.table },
      );
    }
  }
  for (const c of columns) {
    if (
      c.notNull && !c.hasDefault && !c.primaryKey &&
      !settings.columns.includes(c.name)
    ) {
      throw invalid(
        "rows",
        `they lack column "${c.name}" of ${settings.table}, which is NOT NULL without a default`,
        TypeError,
        { reason: "missing-column", column: c.name, table: settings.table },
      );
    }
  }
}

/** Whether `table` is a STRICT table (SQLite 3.37+; false before). */
function isStrict(conn: Connection, table: string): boolean {
  try {
    const row = conn.prepare(
      "SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE",
    ).get(table) as { strict?: number } | undefined;
    return Number(row?.strict ?? 0) === 1;
  } catch {
    return false;
  }
}

async function run(
  ctx: Context,
  _settings: InsertSettings,
  op: Operation,
): Promise<TransactionResult> {
  const insert = ctx.statements;
  let holdsRead = await ctx.begin();
  const rowids: number[] = [];
  for (const values of op.rows) {
    const result = await ctx.step(() => insert.run(...values), !holdsRead);
    holdsRead = true;
    ctx.lockTaken();
    ctx.state("holding");
    rowids.push(Number(result.lastInsertRowid));
  }
  const commitSeq = await ctx.finish(true, true);
  return { rowids, read: null, wrote: null, commitSeq };
}

function runSync(
  ctx: Context,
  _settings: InsertSettings,
  op: Operation,
  done?: SyncProgress,
): TransactionResult {
  const insert = ctx.statements;
  ctx.state("acquiring");
  ctx.beginSync();
  // Sized up front and filled by index: no growing array per operation.
  const rows = op.rows;
  const rowids: number[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const result = insert.run(...rows[i]);
    ctx.lockTaken();
    ctx.state("holding");
    rowids[i] = Number(result.lastInsertRowid);
  }
  const commitSeq = ctx.takeCommit();
  if (done !== undefined) {
    done.rowids = rowids;
    done.commitSeq = commitSeq;
  }
  ctx.commitSync();
  return { rowids, read: null, wrote: null, commitSeq };
}

/** Inserts of the rows given, `rowsPerTransaction` to a transaction. */
export const insert: WorkloadModule<InsertSettings, Statements> = {
  resolve(
    workload,
    plan,
    rowsPerTransaction,
  ): { settings: InsertSettings; writers: number } {
    rejectUnknownOptions("workload", workload, ["kind", "table", "rows"]);
    const table = checkTable(workload.table);
    const rows = workload.rows;
    if (!Array.isArray(rows)) {
      throw invalid("rows", `expected an array, got ${typeof rows}`);
    }
    if (rows.length === 0) {
      throw invalid("rows", "empty (nothing to write)", RangeError);
    }
    const settings: InsertSettings = {
      kind: "insert",
      table,
      columns: checkRows(rows),
      rows: rows.length,
    };
    // By default one writer per transaction: with one per row, a writer
    // would have a single row and `rowsPerTransaction` nothing to group.
    const writers = plan.writers === undefined
      ? Math.min(
        Math.ceil(rows.length / rowsPerTransaction),
        DEFAULT_MAX_WRITERS,
      )
      : integer("writers", plan.writers, 1, MAX_WRITERS);
    if (writers > rows.length) {
      throw invalid(
        "writers",
        `${writers} (more than the ${rows.length} rows to write)`,
        RangeError,
      );
    }
    return { settings, writers };
  },
  statements: (conn, settings) =>
    conn.prepare(insertSql(settings.table, settings.columns)),
  run,
  runSync,
  inspect(conn, settings, path): Inspected {
    const columns = requireTable(conn, settings.table, path);
    try {
      conn.prepare(`SELECT rowid FROM ${quoteIdent(settings.table)} LIMIT 0`)
        .all();
    } catch {
      throw invalid(
        "table",
        `"${settings.table}" has no rowid (a WITHOUT ROWID table or a view); dbhammer finds each written row by the rowid its insert returned`,
      );
    }
    checkColumns(columns, settings);
    const strict = isStrict(conn, settings.table);
    const affinities = settings.columns.map((name) =>
      affinityOf(columns.find((c) => c.name === name)!.type, strict)
    );
    const keys = columns.filter((c) => c.primaryKey);
    const rowidColumn = keys.length === 1 &&
        keys[0].type.toUpperCase() === "INTEGER" &&
        settings.columns.includes(keys[0].name)
      ? keys[0].name
      : null;
    return { affinities, rowidColumn };
  },
  prepare(): void {},
  counterValue: () => null,
  // An unknown insert committed if its rows are there, claimed by no
  // acknowledged write.
  settle(conn, settings, outcomes, baseline): void {
    const unknown = outcomes.filter((o) => o.outcome === "unknown");
    const ok = outcomes.filter((o) => o.outcome === "ok");
    const claimed = new Set(ok.flatMap((o) => o.rowids));
    const free = new Map<string, number[]>();
    for (
      const row of readNewRows(
        conn,
        settings.table,
        settings.columns,
        baseline.maxRowid,
        baseline.lowKeys,
      )
    ) {
      if (claimed.has(row.rowid)) continue;
      free.set(row.fingerprint, [
        ...(free.get(row.fingerprint) ?? []),
        row.rowid,
      ]);
    }
    for (const o of unknown) {
      const found = o.fingerprints.map((fp) => free.get(fp)?.[0]);
      if (found.every((rowid) => rowid !== undefined)) {
        o.fingerprints.forEach((fp) => free.get(fp)?.shift());
        o.rowids = found as number[];
        o.resolved = "present";
      } else if (found.every((rowid) => rowid === undefined)) {
        o.resolved = "absent";
      }
    }
  },
  what: (settings) => `insert into "${settings.table}"`,
  transactions: (_settings, run) =>
    `${run.transaction}, ${run.rowsPerTransaction} row${
      run.rowsPerTransaction === 1 ? "" : "s"
    } each, hold ${hold(run.holdMs)}`,
};
