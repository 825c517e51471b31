// Private: the layout of the shared memory between the orchestrator and the
// writer hosts, and the one clock every record uses.

/** Index of the start flag: 0 until every host is ready, then 1. */
export const GO = 0;
/** Index of the stop flag: set when the run must end early. */
export const STOP = 1;
/** Index of the commit counter: each commit takes the next number. */
export const COMMITS = 2;
/** Index of the queue strategy's next ticket. */
export const TICKET = 3;
/** Index of the ticket the queue strategy is serving. */
export const SERVING = 4;
const HEADER = 6;
const PER_WRITER = 2;

/** Where a writer is, as stored in shared memory. */
export const WriterState = {
  starting: 0,
  ready: 1,
  acquiring: 2,
  holding: 3,
  committing: 4,
  between: 5,
  waiting: 6,
  done: 7,
  running: 8,
  queued: 9,
  retrying: 10,
} as const;

/** A writer state value. */
export type WriterStateValue = typeof WriterState[keyof typeof WriterState];

const STATE_TEXT: Record<number, string> = {
  [WriterState.starting]: "starting (connection not open yet)",
  [WriterState.ready]: "ready at the start barrier",
  [WriterState.acquiring]: "waiting for the write lock",
  [WriterState.holding]: "in a transaction, holding the write lock",
  [WriterState.committing]: "committing, holding the write lock",
  [WriterState.between]: "between operations, holding no lock",
  [WriterState.waiting]: "waiting for the write lock (asynchronous busy wait)",
  [WriterState.done]: "done",
  [WriterState.running]: "in a transaction, running the task",
  [WriterState.queued]:
    "waiting for the write lock (the strategy's queue or file lock), in no transaction",
  [WriterState.retrying]:
    "waiting to retry after a lock error, in no transaction",
};

/** A human description of a writer state. */
export function describeState(state: number): string {
  return STATE_TEXT[state] ?? `unknown state ${state}`;
}

/**
 * Whether a writer in this state may be inside a transaction (so its
 * operation, cut short, may or may not have committed).
 */
export function inTransaction(state: number): boolean {
  return state === WriterState.acquiring || state === WriterState.holding ||
    state === WriterState.committing || state === WriterState.waiting ||
    state === WriterState.running;
}

/** Allocates the shared memory for `writers` writers. */
export function allocateShared(writers: number): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER + PER_WRITER * writers) * 4);
}

/** Records a writer's state and the index of its current operation. */
export function setProgress(
  shared: Int32Array,
  writer: number,
  state: WriterStateValue,
  opIndex?: number,
): void {
  const base = HEADER + PER_WRITER * writer;
  if (opIndex !== undefined) Atomics.store(shared, base + 1, opIndex);
  Atomics.store(shared, base, state);
}

/** Reads a writer's state and the index of its current operation. */
export function readProgress(
  shared: Int32Array,
  writer: number,
): { state: number; opIndex: number } {
  const base = HEADER + PER_WRITER * writer;
  return {
    state: Atomics.load(shared, base),
    opIndex: Atomics.load(shared, base + 1),
  };
}

/** Milliseconds since the epoch, comparable across Workers. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
