/**
 * One writer: a connection of its own that runs its operations in order and
 * records what each one did. Runs inside a host Worker.
 *
 * @module
 */
import { type ClassifiedError, classifyError } from "./_errors.ts";
import {
  COMMITS,
  delay,
  now,
  setProgress,
  STOP,
  WriterState,
  type WriterStateValue,
} from "./_shared.ts";
import { type Connection, insertSql } from "./_sqlite.ts";
import type { SqlValue } from "./table.ts";
import type { RunSettings } from "./plan.ts";
import type { Outcome } from "./report.ts";

/** One operation (transaction) assigned to a writer. */
export interface Operation {
  /** Index of the operation in the writer's own sequence. */
  seq: number;
  /** Index of each row in the run's input rows. */
  keys: number[];
  /** Each row's values, in `RunSettings.columns` order. */
  rows: SqlValue[][];
  /** Each row's fingerprint, to recognise it in the database afterwards. */
  fingerprints: string[];
}

/** What a writer needs to run. */
export interface WriterContext {
  /** Writer id (0-based). */
  id: number;
  /** The run's settings. */
  settings: RunSettings;
  /** The writer's own connection. */
  connection: Connection;
  /** Its operations, in order. */
  operations: Operation[];
  /** Shared memory: start flag, stop flag, commit counter, progress. */
  shared: Int32Array;
  /** Receives each operation's record as soon as it ends. */
  record(outcome: Outcome): void;
  /** Called at the crash point, if this writer has one; never returns. */
  crash?(): Promise<never>;
}

const BEGIN: Record<RunSettings["transaction"], string> = {
  deferred: "BEGIN DEFERRED",
  immediate: "BEGIN IMMEDIATE",
  exclusive: "BEGIN EXCLUSIVE",
};

// SQLite's default busy handler (sqliteDefaultBusyCallback): sleep 1, 2, 5 …
// 100 ms between tries, giving up once the total would pass the timeout.
const BUSY_DELAYS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
const BUSY_TOTALS = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228];

/**
 * How long SQLite's busy handler sleeps before try `count + 1`, or 0 when it
 * gives up, for a busy timeout of `timeoutMs`.
 */
export function busyDelay(count: number, timeoutMs: number): number {
  const last = BUSY_DELAYS.length - 1;
  let delayMs: number;
  let prior: number;
  if (count < BUSY_DELAYS.length) {
    delayMs = BUSY_DELAYS[count];
    prior = BUSY_TOTALS[count];
  } else {
    delayMs = BUSY_DELAYS[last];
    prior = BUSY_TOTALS[last] + delayMs * (count - last);
  }
  if (prior + delayMs > timeoutMs) {
    delayMs = timeoutMs - prior;
    if (delayMs <= 0) return 0;
  }
  return delayMs;
}

/**
 * Runs a writer's operations one after another and records each outcome.
 * Never throws for a failed operation: a failure is an outcome.
 *
 * @param ctx The writer's connection, operations and shared memory.
 */
export async function runWriter(ctx: WriterContext): Promise<void> {
  const { connection, settings, shared, id } = ctx;
  const insert = connection.prepare(
    insertSql(settings.table, settings.columns),
  );
  const begin = connection.prepare(BEGIN[settings.transaction]);
  const commit = connection.prepare("COMMIT");
  const rollback = connection.prepare("ROLLBACK");
  const asyncWait = settings.busyWait === "async" && settings.busyTimeoutMs > 0;
  const crash = settings.crash?.writer === id ? settings.crash : null;
  let lockWaitMs = 0;

  const state = (value: WriterStateValue): void =>
    setProgress(shared, id, value);

  // One SQLite call. Where SQLite's busy handler would wait (no read
  // transaction held yet, or a commit), a writer sharing its thread waits
  // here without blocking the thread, on SQLite's schedule and timeout.
  async function step<T>(
    call: () => T,
    canWait: boolean,
    during: WriterStateValue,
  ): Promise<T> {
    if (!asyncWait || !canWait) return call();
    for (let count = 0;; count++) {
      try {
        return call();
      } catch (error) {
        if (classifyError(error).outcome !== "busy") throw error;
        const sleep = busyDelay(count, settings.busyTimeoutMs);
        if (sleep <= 0 || Atomics.load(shared, STOP) !== 0) throw error;
        const started = now();
        state(WriterState.waiting);
        await delay(sleep);
        lockWaitMs += now() - started;
        state(during);
      }
    }
  }

  for (let index = 0; index < ctx.operations.length; index++) {
    if (Atomics.load(shared, STOP) !== 0) break;
    const op = ctx.operations[index];
    setProgress(shared, id, WriterState.between, index);
    if (crash !== null && crash.afterOps === index && !crash.inTransaction) {
      await ctx.crash?.();
    }
    const startMs = now();
    lockWaitMs = 0;
    const rowids: number[] = [];
    let commitSeq: number | null = null;
    let failure: ClassifiedError | null = null;
    try {
      state(WriterState.acquiring);
      await step(() => begin.run(), true, WriterState.acquiring);
      // After BEGIN IMMEDIATE/EXCLUSIVE the connection holds a read
      // transaction: SQLite would not wait on a busy error from here on.
      let holdsRead = settings.transaction !== "deferred";
      if (holdsRead) state(WriterState.holding);
      for (const values of op.rows) {
        const result = await step(
          () => insert.run(...values),
          !holdsRead,
          WriterState.acquiring,
        );
        holdsRead = true;
        state(WriterState.holding);
        rowids.push(Number(result.lastInsertRowid));
      }
      if (crash !== null && crash.afterOps === index && crash.inTransaction) {
        await ctx.crash?.();
      }
      if (settings.holdMs > 0) await delay(settings.holdMs);
      // Taken while this connection holds the write lock, so the numbers
      // follow the order in which transactions commit.
      commitSeq = Atomics.add(shared, COMMITS, 1) + 1;
      state(WriterState.committing);
      await step(() => commit.run(), true, WriterState.committing);
    } catch (error) {
      failure = classifyError(error);
      commitSeq = null;
      if (connection.isTransaction) {
        try {
          rollback.run();
        } catch {
          // The failure above is what the record reports.
        }
      }
    }
    const endMs = now();
    ctx.record({
      writer: id,
      seq: op.seq,
      keys: op.keys,
      outcome: failure === null ? "ok" : failure.outcome,
      code: failure?.code ?? null,
      message: failure?.message ?? null,
      attempts: 1,
      startMs,
      endMs,
      lockWaitMs,
      commitSeq,
      rowids: failure === null ? rowids : [],
      fingerprints: op.fingerprints,
    });
  }
  state(WriterState.done);
}
