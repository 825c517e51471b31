// Private: how a run's operations are dealt to its writers, in one place:
// the plan's checks (a crash point must exist) and the assignment agree by
// construction.
import type { WorkloadSettings } from "./plan.ts";

/**
 * The rows (by index) writer `writer` gets when `rowCount` rows are dealt
 * to `writers` like cards: row i goes to writer i % writers.
 */
export function dealtRows(
  writer: number,
  writers: number,
  rowCount: number,
): number[] {
  const keys: number[] = [];
  for (let key = writer; key < rowCount; key += writers) keys.push(key);
  return keys;
}

/** How many of {@linkcode dealtRows} writer `writer` gets. */
export function dealtRowCount(
  writer: number,
  writers: number,
  rowCount: number,
): number {
  return rowCount > writer
    ? Math.floor((rowCount - 1 - writer) / writers) + 1
    : 0;
}

/**
 * How many operations writer `writer` runs: its dealt rows in transactions
 * of `rowsPerTransaction` (inserts), or the workload's per-writer count.
 */
export function operationCount(
  writer: number,
  writers: number,
  workload: WorkloadSettings,
  rowsPerTransaction: number,
): number {
  switch (workload.kind) {
    case "insert":
      return Math.ceil(
        dealtRowCount(writer, writers, workload.rows) / rowsPerTransaction,
      );
    case "counter":
      return workload.increments;
    case "task":
    case "parentChildren":
      return workload.operations;
  }
}
