// Private: what the orchestrator and the writer hosts share (flags, counters,
// progress), in memory for Workers or in a file for processes, and the one
// clock every record uses.

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
/** Index of the queue's holder: the id + 1 of the host with the turn, or 0. */
export const HOLDER = 5;
/** Index of the count of operations that ended with a lock error. */
export const LOCK_ERRORS = 6;
/**
 * Index of the count of commit numbers taken by operations that did not
 * commit with them: `COMMITS` minus this is what has committed.
 */
export const UNCOMMITTED = 7;
const HEADER = 8;
// Per writer: its state, its operation's index, and (while it waits to
// retry) that operation's tries so far and the family of its last lock error.
const PER_WRITER = 3;

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
  /** Found its host ended, in or before an operation, and stopped there. */
  halted: 11,
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
  [WriterState.halted]:
    "stopped by its host's end, its transaction rolled back",
};

/** The name of a writer state value, e.g. `holding`. */
export function phaseOf(state: number): keyof typeof WriterState {
  const entry = Object.entries(WriterState).find(([, v]) => v === state);
  return (entry?.[0] ?? "starting") as keyof typeof WriterState;
}

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
    state === WriterState.running || state === WriterState.halted;
}

/**
 * The integers the orchestrator and the hosts share: start and stop flags,
 * the commit counter, the queue's tickets and each writer's progress. Workers
 * share memory (`AtomicInts`); processes share a file (`FileInts`).
 */
export interface SharedInts {
  /** Reads slot `index`. */
  load(index: number): number;
  /** Writes slot `index`. */
  store(index: number, value: number): void;
  /** Adds to slot `index` atomically; returns the value before. */
  add(index: number, delta: number): number;
}

/** Wait slots of the queue strategy, after the writers' progress. */
const QUEUE_SLOTS = 64;

/** How many integers a run with `writers` writers shares. */
export function sharedLength(writers: number): number {
  // After the wait slots, PER_HOST per host (never more hosts than writers).
  return HEADER + PER_WRITER * writers + QUEUE_SLOTS + PER_HOST * writers;
}

/**
 * The slot the holder of queue ticket `ticket` (a host) waits on. Each ticket
 * waits on its own slot and a release wakes only the next ticket's, so a
 * hand-off wakes one host, not every host in the queue.
 */
export function queueSlot(ticket: number, writers: number): number {
  return HEADER + PER_WRITER * writers + (ticket % QUEUE_SLOTS);
}

const PER_HOST = 3;

/**
 * The slot where host `hostId` keeps the queue ticket it waits with, plus
 * one (0: none), so that the orchestrator can pass on that turn if the host
 * dies waiting.
 */
export function pendingSlot(hostId: number, writers: number): number {
  return HEADER + PER_WRITER * writers + QUEUE_SLOTS + PER_HOST * hostId;
}

/**
 * The slot the orchestrator sets to 1 before it ends host `hostId` early. A
 * Worker terminated while its thread is inside a call (SQLite's, a blocking
 * wait) can go on running until its event loop turns again; it looks here
 * and stops instead.
 */
export function killedSlot(hostId: number, writers: number): number {
  return pendingSlot(hostId, writers) + 1;
}

/**
 * The slot a Worker host bumps every {@linkcode HEARTBEAT_MS} while its event
 * loop turns: one that stands still is stuck in a synchronous call (a task's
 * loop, SQLite's busy handler), where a Worker cannot be terminated.
 */
export function heartbeatSlot(hostId: number, writers: number): number {
  return pendingSlot(hostId, writers) + 2;
}

/** How often a Worker host bumps its heartbeat, in milliseconds. */
export const HEARTBEAT_MS = 25;

/** Allocates the shared memory for `writers` writers. */
export function allocateShared(writers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(sharedLength(writers) * 4);
}

/** Shared integers in a `SharedArrayBuffer`, for Workers of one process. */
export class AtomicInts implements SharedInts {
  /** The shared memory as 32-bit integers. */
  readonly array: Int32Array;
  constructor(buffer: SharedArrayBuffer) {
    this.array = new Int32Array(buffer);
  }
  load(index: number): number {
    return Atomics.load(this.array, index);
  }
  store(index: number, value: number): void {
    Atomics.store(this.array, index, value);
  }
  add(index: number, delta: number): number {
    return Atomics.add(this.array, index, delta);
  }
}

/**
 * Shared integers in a file, for processes: loads and stores are positioned
 * reads and writes of 4 bytes; `add` holds an exclusive lock on the file.
 */
export class FileInts implements SharedInts {
  #file: Deno.FsFile;
  #cell = new Uint8Array(4);
  #view = new DataView(this.#cell.buffer);
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  /** Creates the file with `length` zeroed integers. */
  static create(path: string, length: number): FileInts {
    Deno.writeFileSync(path, new Uint8Array(length * 4));
    return FileInts.open(path);
  }
  /** Opens an existing file. */
  static open(path: string): FileInts {
    return new FileInts(Deno.openSync(path, { read: true, write: true }));
  }
  load(index: number): number {
    this.#file.seekSync(index * 4, Deno.SeekMode.Start);
    let read = 0;
    while (read < 4) {
      const n = this.#file.readSync(this.#cell.subarray(read));
      if (n === null) return 0;
      read += n;
    }
    return this.#view.getInt32(0, true);
  }
  store(index: number, value: number): void {
    this.#view.setInt32(0, value, true);
    this.#file.seekSync(index * 4, Deno.SeekMode.Start);
    let written = 0;
    while (written < 4) {
      written += this.#file.writeSync(this.#cell.subarray(written));
    }
  }
  add(index: number, delta: number): number {
    this.#file.lockSync(true);
    try {
      const before = this.load(index);
      this.store(index, before + delta);
      return before;
    } finally {
      this.#file.unlockSync();
    }
  }
  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/** Records a writer's state and the index of its current operation. */
export function setProgress(
  shared: SharedInts,
  writer: number,
  state: WriterStateValue,
  opIndex?: number,
): void {
  const base = HEADER + PER_WRITER * writer;
  if (opIndex !== undefined) shared.store(base + 1, opIndex);
  shared.store(base, state);
}

/**
 * Records that a writer waits to retry its current operation after
 * `attempts` tries, the last of which failed with a lock error (`locked`:
 * SQLITE_LOCKED's family, else SQLITE_BUSY's).
 */
export function setRetrying(
  shared: SharedInts,
  writer: number,
  attempts: number,
  locked: boolean,
): void {
  const base = HEADER + PER_WRITER * writer;
  shared.store(base + 2, attempts * 2 + (locked ? 1 : 0));
  shared.store(base, WriterState.retrying);
}

/** A writer's progress as stored in shared memory. */
export interface Progress {
  /** Its state (a {@linkcode WriterState} value). */
  state: number;
  /** The index of its current operation (the operations that ended). */
  opIndex: number;
  /** While it waits to retry: the tries so far and the last one's error. */
  retry: { attempts: number; outcome: "busy" | "locked" } | null;
}

/** Reads a writer's state and the index of its current operation. */
export function readProgress(shared: SharedInts, writer: number): Progress {
  const base = HEADER + PER_WRITER * writer;
  const state = shared.load(base);
  const opIndex = shared.load(base + 1);
  if (state !== WriterState.retrying) return { state, opIndex, retry: null };
  const tries = shared.load(base + 2);
  return {
    state,
    opIndex,
    retry: {
      attempts: Math.floor(tries / 2),
      outcome: tries % 2 === 1 ? "locked" : "busy",
    },
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
