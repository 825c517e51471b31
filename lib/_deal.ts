// Private: how a run's operations are dealt to its writers, in one place:
// the plan's checks (a crash point must exist) and the assignment agree by
// construction.

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
 * of `rowsPerTransaction` (inserts), or `perWriter` (every other workload).
 */
export function operationCount(
  writer: number,
  writers: number,
  work: { rowCount: number; rowsPerTransaction: number } | {
    perWriter: number;
  },
): number {
  if ("perWriter" in work) return work.perWriter;
  return Math.ceil(
    dealtRowCount(writer, writers, work.rowCount) / work.rowsPerTransaction,
  );
}

/** The operations per writer of a workload that is not an insert. */
export function perWriter(workload: {
  counter: { increments: number } | null;
  task: { operations: number } | null;
  parentChildren: { operations: number } | null;
}): number {
  return workload.counter?.increments ?? workload.task?.operations ??
    workload.parentChildren?.operations ?? 0;
}
