// The counter workload: read-modify-write of one row's `n`, in a
// transaction or (the classic lost update) as two statements.
import type { DriverStatement } from "../driver.ts";
import type { CounterSettings } from "../plan.ts";
import { checkBoolean, checkTable } from "../_plan_checks.ts";
import { integer, invalid, rejectUnknownOptions } from "../_validate.ts";
import { type Connection, quoteIdent } from "../sqlite/_connection.ts";
import { requireTable } from "../sqlite/_schema.ts";
import {
  defaultWriters,
  hold,
  NOTHING_INSPECTED,
  type TransactionContext,
  type TransactionResult,
  type WorkloadModule,
} from "./_module.ts";

interface Statements {
  read: DriverStatement;
  write: DriverStatement;
}

/** The counter's value (row `id = 1`). */
function readCounter(conn: Connection, table: string): number {
  const row = conn.prepare(
    `SELECT n FROM ${quoteIdent(table)} WHERE id = 1`,
  ).get() as { n: number } | undefined;
  return Number(row?.n ?? 0);
}

async function run(
  ctx: TransactionContext<Statements>,
  settings: CounterSettings,
): Promise<TransactionResult> {
  const { by, transaction, table } = settings;
  const readValue = (): number => {
    const row = ctx.statements.read.get() as { n: number } | undefined;
    if (row === undefined) {
      throw new Error(`No counter row (id = 1) in ${table}`);
    }
    return Number(row.n);
  };
  // Without a transaction the read and the write are two statements, each
  // its own transaction: the classic lost update.
  const holdsRead = transaction ? await ctx.begin() : false;
  if (!transaction) ctx.state("acquiring");
  const read = await ctx.step(readValue, !holdsRead);
  if (ctx.holdMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, ctx.holdMs));
  }
  // Inside a transaction the connection holds a read transaction now: in
  // DELETE mode a busy error here comes back at once, in WAL mode a stale
  // snapshot is SQLITE_BUSY_SNAPSHOT; SQLite's busy handler waits for
  // neither.
  await ctx.step(() => ctx.statements.write.run(read + by), !transaction);
  // Without a transaction the write was its own: its tenure is unknown.
  if (transaction) {
    ctx.lockTaken();
    ctx.state("holding");
  }
  const commitSeq = await ctx.finish(false, transaction);
  return { rowids: [], read, wrote: read + by, commitSeq };
}

/** Increments of one counter row, `increments` per writer. */
export const counter: WorkloadModule<CounterSettings, Statements> = {
  resolve(workload, plan): { settings: CounterSettings; writers: number } {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "table",
      "increments",
      "by",
      "transaction",
    ]);
    const settings: CounterSettings = {
      kind: "counter",
      table: checkTable(workload.table ?? "counter"),
      increments: integer(
        "increments",
        workload.increments,
        1,
        Number.MAX_SAFE_INTEGER,
      ),
      by: integer("by", workload.by ?? 1, 1, 2 ** 31),
      transaction: checkBoolean("transaction", workload.transaction ?? true),
    };
    return { settings, writers: defaultWriters(plan) };
  },
  statements: (conn, settings) => {
    const table = quoteIdent(settings.table);
    return {
      read: conn.prepare(`SELECT n FROM ${table} WHERE id = 1`),
      write: conn.prepare(`UPDATE ${table} SET n = ? WHERE id = 1`),
    };
  },
  run: (ctx, settings) => run(ctx, settings),
  inspect: () => NOTHING_INSPECTED,
  prepare(conn, settings, path): void {
    const table = quoteIdent(settings.table);
    conn.prepare(
      `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)`,
    ).run();
    const names = requireTable(conn, settings.table, path).map((c) => c.name);
    if (!names.includes("id") || !names.includes("n")) {
      throw invalid(
        "table",
        `${settings.table} has no counter columns id and n (its columns: ${
          names.join(", ")
        })`,
      );
    }
    conn.prepare(`INSERT OR IGNORE INTO ${table} (id, n) VALUES (1, 0)`).run();
  },
  counterValue: (conn, settings) => readCounter(conn, settings.table),
  // Settled when the final value leaves one answer: none of the unknown
  // increments applied, or all of them.
  settle(_conn, settings, outcomes, baseline, counterAfter): void {
    const unknown = outcomes.filter((o) => o.outcome === "unknown");
    const ok = outcomes.filter((o) => o.outcome === "ok").length;
    const applied = ((counterAfter ?? 0) - (baseline.counter ?? 0)) /
        settings.by - ok;
    const resolved = applied === 0
      ? "absent"
      : applied === unknown.length
      ? "present"
      : null;
    for (const o of unknown) o.resolved = resolved;
  },
  what: (settings) => `counter in "${settings.table}"`,
  transactions: (settings, run) =>
    `${
      settings.transaction ? run.transaction : "none (read, then write)"
    }, ${settings.increments} increments of ${settings.by} per writer, hold ${
      hold(run.holdMs)
    } between read and write`,
};
