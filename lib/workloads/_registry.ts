// Private: every workload, by kind. A new workload is its own file and one
// line here; the compiler refuses a kind without one.
import type { HammerPlan, Workload, WorkloadSettings } from "../plan.ts";
import type { WorkloadModule } from "./_module.ts";
import { counter } from "./counter.ts";
import { insert } from "./insert.ts";
import { parentChildren } from "./parent_children.ts";
import { task } from "./task.ts";

type ModuleOf<K extends WorkloadSettings["kind"]> = WorkloadModule<
  Extract<WorkloadSettings, { kind: K }>,
  // deno-lint-ignore no-explicit-any
  any
>;

const WORKLOADS: { [K in WorkloadSettings["kind"]]: ModuleOf<K> } = {
  insert,
  counter,
  task,
  parentChildren,
};

/** The module of a workload's settings. */
export function workloadModule<S extends WorkloadSettings>(
  settings: S,
): WorkloadModule<S, unknown> {
  return WORKLOADS[settings.kind] as unknown as WorkloadModule<S, unknown>;
}

/** A workload's options resolved by its module, and the run's writers. */
export function resolveWorkload(
  workload: Workload,
  plan: HammerPlan,
  rowsPerTransaction: number,
): { settings: WorkloadSettings; writers: number } {
  const module = WORKLOADS[workload.kind] as unknown as WorkloadModule<
    WorkloadSettings,
    unknown
  >;
  return module.resolve(workload as never, plan, rowsPerTransaction);
}
