// The parent/children workload: a parent row and its children in one
// transaction, to test all-or-nothing.
import type { DriverStatement } from "../driver.ts";
import type { ParentChildrenSettings } from "../plan.ts";
import { integer, rejectUnknownOptions } from "../_validate.ts";
import {
  defaultWriters,
  hold,
  NOTHING_INSPECTED,
  operationsOption,
  type TransactionContext,
  type TransactionResult,
  type WorkloadModule,
} from "./_module.ts";

interface Statements {
  parent: DriverStatement;
  child: DriverStatement;
}

async function run(
  ctx: TransactionContext<Statements>,
  settings: ParentChildrenSettings,
  seq: number,
): Promise<TransactionResult> {
  const holdsRead = await ctx.begin();
  const parent = await ctx.step(
    () => ctx.statements.parent.run(ctx.writer, seq),
    !holdsRead,
  );
  ctx.lockTaken();
  ctx.state("holding");
  const parentId = Number(parent.lastInsertRowid);
  for (let i = 0; i < settings.children; i++) {
    ctx.statements.child.run(parentId, i);
  }
  const commitSeq = await ctx.finish(true, true);
  return { rowids: [parentId], read: null, wrote: null, commitSeq };
}

/** Parents and their children in "parents" and "children". */
export const parentChildren: WorkloadModule<
  ParentChildrenSettings,
  Statements
> = {
  resolve(
    workload,
    plan,
  ): { settings: ParentChildrenSettings; writers: number } {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "children",
      "operations",
    ]);
    const settings: ParentChildrenSettings = {
      kind: "parentChildren",
      children: integer("children", workload.children, 0, 1_000_000),
      operations: operationsOption(workload.operations),
    };
    return { settings, writers: defaultWriters(plan) };
  },
  statements: (conn) => ({
    parent: conn.prepare("INSERT INTO parents (writer, seq) VALUES (?, ?)"),
    child: conn.prepare("INSERT INTO children (parent_id, i) VALUES (?, ?)"),
  }),
  run: (ctx, settings, op) => run(ctx, settings, op.seq),
  inspect: () => NOTHING_INSPECTED,
  prepare(conn): void {
    conn.exec(
      `CREATE TABLE IF NOT EXISTS parents (id INTEGER PRIMARY KEY, writer INTEGER, seq INTEGER);
       CREATE TABLE IF NOT EXISTS children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, i INTEGER)`,
    );
  },
  counterValue: () => null,
  // assertAllOrNothing reads the tables: nothing to settle here.
  settle(): void {},
  what: () => `parents and children in "parents" and "children"`,
  transactions: (settings, run) =>
    `${run.transaction}, a parent and ${settings.children} children each, hold ${
      hold(run.holdMs)
    }`,
};
