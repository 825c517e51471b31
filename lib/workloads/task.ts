// The task workload: the user's own function, once per operation, with
// the writer's connection, in a transaction unless it opts out.
import type { TaskSettings } from "../plan.ts";
import { checkBoolean, checkModule, checkParams } from "../_plan_checks.ts";
import { rejectUnknownOptions } from "../_validate.ts";
import {
  defaultWriters,
  hold,
  NOTHING_INSPECTED,
  operationsOption,
  type TransactionContext,
  type TransactionResult,
  type WorkloadModule,
} from "./_module.ts";

async function run(
  ctx: TransactionContext<null>,
  settings: TaskSettings,
  seq: number,
): Promise<TransactionResult> {
  const { transaction, params } = settings;
  const holdsLock = transaction ? await ctx.begin() : false;
  if (!holdsLock) ctx.state("running");
  await ctx.task!({ db: ctx.connection, writer: ctx.writer, seq, params });
  const commitSeq = await ctx.finish(true, transaction);
  return { rowids: [], read: null, wrote: null, commitSeq };
}

/** A task module's function, `operations` calls per writer. */
export const task: WorkloadModule<TaskSettings, null> = {
  resolve(workload, plan): { settings: TaskSettings; writers: number } {
    rejectUnknownOptions("workload", workload, [
      "kind",
      "module",
      "operations",
      "params",
      "transaction",
    ]);
    const settings: TaskSettings = {
      kind: "task",
      module: checkModule(workload.module),
      operations: operationsOption(workload.operations),
      params: checkParams(workload.params),
      transaction: checkBoolean("transaction", workload.transaction ?? true),
    };
    return { settings, writers: defaultWriters(plan) };
  },
  statements: () => null,
  run: (ctx, settings, op) => run(ctx, settings, op.seq),
  inspect: () => NOTHING_INSPECTED,
  prepare(): void {},
  // A task's effects are its own: nothing to settle.
  counterValue: () => null,
  settle(): void {},
  what: (settings) => `task ${settings.module}`,
  transactions: (settings, run) =>
    `${
      settings.transaction ? run.transaction : "none (the task's own)"
    }, one task call each, hold ${hold(run.holdMs)}`,
};
