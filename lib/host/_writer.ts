/**
 * One writer: a connection of its own that runs its operations in order,
 * applies the lock strategy, and records what each operation did. Runs
 * inside a host Worker.
 *
 * @module
 */
import { type ClassifiedError, classifyError } from "../sqlite/_classify.ts";
import {
  COMMITS,
  delay,
  LOCK_ERRORS,
  now,
  setProgress,
  setRetrying,
  type SharedInts,
  STOP,
  UNCOMMITTED,
  WriterState,
  type WriterStateValue,
} from "./_memory.ts";
import type { HostQueue } from "./_queue.ts";
import {
  type Connection,
  insertSql,
  quoteIdent,
} from "../sqlite/_connection.ts";
import type { DriverStatement } from "../driver.ts";
import {
  holdFor,
  type Outcome,
  type RunSettings,
  type TaskContext,
} from "../plan.ts";
import { retryDelay, StrategyLockError } from "../strategies.ts";
import type { SqlValue } from "../driver.ts";

/**
 * One operation (transaction) as a writer runs it. The orchestrator keeps
 * which input rows it holds and their fingerprints (`PlannedOperation`).
 */
export interface Operation {
  /** Index of the operation in the writer's own sequence. */
  seq: number;
  /** Each row's values, in `RunSettings.columns` order (inserts). */
  rows: SqlValue[][];
}

/**
 * What a writer records of an operation: an {@linkcode Outcome} without the
 * keys and fingerprints of its rows, which the orchestrator adds back.
 */
export type WriterOutcome = Omit<Outcome, "keys" | "fingerprints">;

const BEGIN: Record<RunSettings["transaction"], string> = {
  deferred: "BEGIN DEFERRED",
  immediate: "BEGIN IMMEDIATE",
  exclusive: "BEGIN EXCLUSIVE",
};

/** The statements a writer runs, prepared while its host sets up. */
export interface WriterStatements {
  begin: DriverStatement;
  commit: DriverStatement;
  rollback: DriverStatement;
  /** The insert workload's INSERT, else `null`. */
  insert: DriverStatement | null;
  /** The counter workload's read and write, else `null`. */
  readCounter: DriverStatement | null;
  writeCounter: DriverStatement | null;
  /** The parent/children workload's inserts, else `null`. */
  insertParent: DriverStatement | null;
  insertChild: DriverStatement | null;
}

/**
 * Prepares a writer's statements. Preparing reads the schema, which waits
 * for other connections' locks: done at set-up, while the connection still
 * has its set-up busy timeout, not at the start of the run.
 */
export function prepareWriter(
  connection: Connection,
  settings: RunSettings,
): WriterStatements {
  const table = quoteIdent(settings.table);
  const counter = settings.counter !== null;
  const family = settings.parentChildren !== null;
  return {
    begin: connection.prepare(BEGIN[settings.transaction]),
    commit: connection.prepare("COMMIT"),
    rollback: connection.prepare("ROLLBACK"),
    insert: settings.workload === "insert"
      ? connection.prepare(insertSql(settings.table, settings.columns))
      : null,
    readCounter: counter
      ? connection.prepare(`SELECT n FROM ${table} WHERE id = 1`)
      : null,
    writeCounter: counter
      ? connection.prepare(`UPDATE ${table} SET n = ? WHERE id = 1`)
      : null,
    insertParent: family
      ? connection.prepare("INSERT INTO parents (writer, seq) VALUES (?, ?)")
      : null,
    insertChild: family
      ? connection.prepare("INSERT INTO children (parent_id, i) VALUES (?, ?)")
      : null,
  };
}

/** What a writer needs to run. */
export interface WriterContext {
  /** Writer id (0-based). */
  id: number;
  /** The run's settings. */
  settings: RunSettings;
  /** The writer's own connection. */
  connection: Connection;
  /** Its statements, from {@linkcode prepareWriter}. */
  statements: WriterStatements;
  /** Its operations, in order. */
  operations: Operation[];
  /** Shared with the orchestrator: stop flag, commit counter, progress. */
  shared: SharedInts;
  /** The host's side of the queue strategy (Worker mode only), else `null`. */
  queue: HostQueue | null;
  /**
   * Whether this writer's host has been ended: by the orchestrator (a
   * terminated Worker may run on until its event loop turns), or because
   * the orchestrator itself is gone (a process host). Checked before every
   * operation and every COMMIT.
   */
  killed?(): boolean;
  /**
   * What an ended host does instead of going on: never settles (a Worker,
   * whose termination then takes effect) or exits (a process).
   */
  halt?(): Promise<never>;
  /** Receives each operation's record as soon as it ends. */
  record(outcome: WriterOutcome): void;
  /** Called at the crash point, if this writer has one; never returns. */
  crash?(): Promise<never>;
  /** The task workload's function. */
  task?: (ctx: TaskContext) => unknown;
  /** The driver's error classification, if it has its own. */
  classify?: (error: unknown) => ClassifiedError;
}

/** The function a task module exports, or a clear error naming what is missing. */
export function taskFunction(
  module: Record<string, unknown>,
  specifier: string,
): (ctx: TaskContext) => unknown {
  const fn = module.default ?? module.task;
  if (typeof fn !== "function") {
    throw new TypeError(
      `Invalid task module ${specifier}: it exports no function as default or as "task" (exports: ${
        Object.keys(module).join(", ") || "none"
      })`,
    );
  }
  return fn as (ctx: TaskContext) => unknown;
}

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

/** Thrown where a writer finds its host ended: it must not commit. */
class HostEnded extends Error {}

/** What one transaction produced. */
interface TransactionResult {
  rowids: number[];
  read: number | null;
  wrote: number | null;
  commitSeq: number | null;
}

/**
 * Runs a writer's operations one after another and records each outcome.
 * Never throws for a failed operation: a failure is an outcome.
 *
 * @param ctx The writer's connection, operations and shared memory.
 */
export async function runWriter(ctx: WriterContext): Promise<void> {
  const { connection, settings, shared, id } = ctx;
  const { strategy } = settings;
  const classify = ctx.classify ?? classifyError;
  const {
    begin,
    commit,
    rollback,
    insert,
    readCounter,
    writeCounter,
    insertParent,
    insertChild,
  } = ctx.statements;
  const asyncWait = settings.busyWait === "async" && settings.busyTimeoutMs > 0;
  const crash = settings.crash?.writer === id ? settings.crash : null;
  const holdMs = holdFor(settings, id);
  let lockWaitMs = 0;
  // The attempt's certain lock tenure: from the moment a statement that
  // takes the write lock returned, to the moment COMMIT was called.
  let lockAtMs: number | null = null;
  let commitAtMs: number | null = null;
  const lockTaken = (): void => {
    lockAtMs ??= now();
  };

  const state = (value: WriterStateValue): void =>
    setProgress(shared, id, value);
  const stopped = (): boolean => shared.load(STOP) !== 0;

  // One SQLite call. Where SQLite's busy handler would wait (no read
  // transaction held yet, or a commit), a writer sharing its thread waits
  // here without blocking the thread, on SQLite's schedule and timeout.
  function step<T>(
    call: () => T,
    canWait: boolean,
    during: WriterStateValue,
  ): T | Promise<T> {
    // The common case stays synchronous: no promise per SQLite call.
    if (!asyncWait || !canWait) return call();
    return waitingStep(call, during);
  }

  async function waitingStep<T>(
    call: () => T,
    during: WriterStateValue,
  ): Promise<T> {
    for (let count = 0;; count++) {
      try {
        return call();
      } catch (error) {
        if (classify(error).outcome !== "busy") throw error;
        const sleep = busyDelay(count, settings.busyTimeoutMs);
        if (sleep <= 0 || stopped()) throw error;
        const started = now();
        state(WriterState.waiting);
        await delay(sleep);
        lockWaitMs += now() - started;
        state(during);
      }
    }
  }

  // A host ended mid-operation commits nothing more: the transaction is
  // rolled back and the host halts.
  const halt = (): Promise<never> =>
    ctx.halt?.() ?? new Promise<never>(() => {});
  const alive = (): void => {
    if (ctx.killed?.()) throw new HostEnded();
  };

  // Taken while this connection holds the write lock, so the numbers follow
  // the order in which transactions commit.
  // Counted per operation: one it does not commit with is given back, for
  // the run's progress.
  let numbersTaken = 0;
  const nextCommit = (): number => {
    numbersTaken++;
    return shared.add(COMMITS, 1) + 1;
  };

  async function crashPoint(
    index: number,
    inTransaction: boolean,
  ): Promise<void> {
    if (
      crash !== null && crash.afterOps === index &&
      crash.inTransaction === inTransaction
    ) await ctx.crash?.();
  }

  /**
   * BEGIN in the run's mode. Returns whether the connection now holds a read
   * transaction: after BEGIN IMMEDIATE/EXCLUSIVE it does (and the write lock
   * too), so SQLite would not wait on a busy error from there on.
   */
  async function beginTransaction(): Promise<boolean> {
    state(WriterState.acquiring);
    await step(() => begin.run(), true, WriterState.acquiring);
    const holdsRead = settings.transaction !== "deferred";
    if (holdsRead) {
      lockTaken();
      state(WriterState.holding);
    }
    return holdsRead;
  }

  /**
   * The end of every operation: the crash point, the hold (unless the
   * workload held elsewhere), the commit number, and COMMIT of the
   * operation's transaction. The commit number is taken while the connection
   * holds the write lock, so the numbers follow commit order.
   */
  async function finish(
    index: number,
    hold: boolean,
    commitNow: boolean,
  ): Promise<number> {
    if (crash !== null) await crashPoint(index, true);
    if (hold && holdMs > 0) await delay(holdMs);
    alive();
    const commitSeq = nextCommit();
    if (commitNow) {
      commitAtMs = now();
      state(WriterState.committing);
      await step(() => commit.run(), true, WriterState.committing);
    }
    return commitSeq;
  }

  async function insertRows(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    let holdsRead = await beginTransaction();
    const rowids: number[] = [];
    for (const values of op.rows) {
      const result = await step(
        () => insert!.run(...values),
        !holdsRead,
        WriterState.acquiring,
      );
      holdsRead = true;
      lockTaken();
      state(WriterState.holding);
      rowids.push(Number(result.lastInsertRowid));
    }
    const commitSeq = await finish(index, true, true);
    return { rowids, read: null, wrote: null, commitSeq };
  }

  // An insert with nothing to wait for inside it (no hold, no crash point,
  // no asynchronous busy wait) runs without an await, as an application's
  // synchronous transaction would, where that cannot change who contends
  // with whom: the writer has its thread to itself, or the strategy's lock
  // already lets one writer at a time into a transaction. Writers sharing a
  // thread otherwise keep interleaving between statements, as concurrent
  // connections do.
  /** How far a synchronous insert got: its rowids and commit number. */
  interface SyncProgress {
    rowids: number[] | null;
    commitSeq: number | null;
  }

  const syncInsert = insert !== null && holdMs === 0 && crash === null &&
    (settings.busyWait === "sqlite" ||
      strategy.queue === true || strategy.fileLock !== undefined);

  /**
   * The synchronous insert; under the strategy's lock on a shared thread with
   * a busy timeout, a lock error means SQLite's lock is held outside the
   * strategy (a killed Worker's connection, another program): the
   * transaction is rolled back and run again with SQLite's busy waits, or,
   * when only its COMMIT failed, the commit is waited for. Called only when
   * the writer waits asynchronously (`asyncWait`).
   */
  async function insertRowsOrWait(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const done: SyncProgress = { rowids: null, commitSeq: null };
    try {
      return insertRowsSync(op, done);
    } catch (error) {
      if (classify(error).outcome === "error") throw error;
      if (done.commitSeq !== null && connection.inTransaction) {
        // COMMIT met a reader's lock (DELETE journal): the writes are in
        // and the commit number taken; wait for the commit as SQLite would.
        await step(() => commit.run(), true, WriterState.committing);
        return {
          rowids: done.rowids!,
          read: null,
          wrote: null,
          commitSeq: done.commitSeq,
        };
      }
      if (connection.inTransaction) rollback.run();
      lockAtMs = null;
      commitAtMs = null;
      return await insertRows(op, index);
    }
  }

  function insertRowsSync(
    op: Operation,
    done?: SyncProgress,
  ): TransactionResult {
    state(WriterState.acquiring);
    begin.run();
    if (settings.transaction !== "deferred") {
      lockTaken();
      state(WriterState.holding);
    }
    // Sized up front and filled by index: at a fast commit's rate a growing
    // array per operation was a measurable share of the writer's own work
    // (WAL/NORMAL, one writer: about 0.5 µs of 21 on tmpfs).
    const rows = op.rows;
    const rowids: number[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const result = insert!.run(...rows[i]);
      lockTaken();
      state(WriterState.holding);
      rowids[i] = Number(result.lastInsertRowid);
    }
    alive();
    const commitSeq = nextCommit();
    if (done !== undefined) {
      done.rowids = rowids;
      done.commitSeq = commitSeq;
    }
    commitAtMs = now();
    state(WriterState.committing);
    commit.run();
    return { rowids, read: null, wrote: null, commitSeq };
  }

  async function incrementCounter(index: number): Promise<TransactionResult> {
    const { by, transaction } = settings.counter!;
    const readValue = (): number => {
      const row = readCounter!.get() as { n: number } | undefined;
      if (row === undefined) {
        throw new Error(`No counter row (id = 1) in ${settings.table}`);
      }
      return Number(row.n);
    };
    // Without a transaction the read and the write are two statements, each
    // its own transaction: the classic lost update.
    const holdsRead = transaction ? await beginTransaction() : false;
    if (!transaction) state(WriterState.acquiring);
    const read = await step(readValue, !holdsRead, WriterState.acquiring);
    if (holdMs > 0) await delay(holdMs);
    // Inside a transaction the connection holds a read transaction now: in
    // DELETE mode a busy error here comes back at once, in WAL mode a stale
    // snapshot is SQLITE_BUSY_SNAPSHOT; SQLite's busy handler waits for
    // neither.
    await step(
      () => writeCounter!.run(read + by),
      !transaction,
      WriterState.acquiring,
    );
    // Without a transaction the write was its own: its tenure is unknown.
    if (transaction) {
      lockTaken();
      state(WriterState.holding);
    }
    const commitSeq = await finish(index, false, transaction);
    return { rowids: [], read, wrote: read + by, commitSeq };
  }

  async function parentAndChildren(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const holdsRead = await beginTransaction();
    const parent = await step(
      () => insertParent!.run(id, op.seq),
      !holdsRead,
      WriterState.acquiring,
    );
    lockTaken();
    state(WriterState.holding);
    const parentId = Number(parent.lastInsertRowid);
    for (let i = 0; i < settings.parentChildren!.children; i++) {
      insertChild!.run(parentId, i);
    }
    const commitSeq = await finish(index, true, true);
    return { rowids: [parentId], read: null, wrote: null, commitSeq };
  }

  async function runTask(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const { transaction, params } = settings.task!;
    const holdsLock = transaction ? await beginTransaction() : false;
    if (!holdsLock) state(WriterState.running);
    await ctx.task!({ db: connection, writer: id, seq: op.seq, params });
    const commitSeq = await finish(index, true, transaction);
    return { rowids: [], read: null, wrote: null, commitSeq };
  }

  // Application-level locks around each transaction.
  let lockFile: Deno.FsFile | null = null;
  let queued = false;

  async function acquireFileLock(): Promise<void> {
    const spec = strategy.fileLock!;
    for (let attempt = 1;; attempt++) {
      const file = await Deno.open(spec.path!, {
        read: true,
        write: true,
        create: true,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const locked = file.lock(true).then(() => true);
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), spec.timeoutMs);
      });
      const got = await Promise.race([locked, timedOut]);
      clearTimeout(timer);
      if (got) {
        lockFile = file;
        return;
      }
      // Give up this try; the pending lock is released as soon as it lands.
      locked.then(() => file.close(), () => file.close());
      if (attempt >= spec.attempts || stopped()) {
        throw new StrategyLockError(
          `file lock ${spec.path} not acquired within ${spec.timeoutMs} ms (${attempt} tr${
            attempt === 1 ? "y" : "ies"
          })`,
        );
      }
      await delay(spec.delayMs);
    }
  }

  /** Releases the strategy's lock; whether one was held. */
  function release(): boolean {
    const held = lockFile !== null || queued;
    if (lockFile !== null) {
      lockFile.close(); // closing releases the flock
      lockFile = null;
    }
    if (queued) {
      queued = false;
      ctx.queue!.release();
    }
    return held;
  }

  for (let index = 0; index < ctx.operations.length; index++) {
    // Ended by the orchestrator while its thread was inside a call: a
    // terminated Worker may run on until its event loop turns. Start
    // nothing more and record nothing more; the orchestrator settles the
    // rest against the database.
    if (ctx.killed?.()) await halt();
    if (stopped()) break;
    const op = ctx.operations[index];
    setProgress(shared, id, WriterState.between, index);
    if (crash !== null) await crashPoint(index, false);
    // `clock` is the last reading, reused where nothing ran since: at a
    // fast commit's rate each reading is a measurable share of the work.
    let clock = now();
    const startMs = clock;
    lockWaitMs = 0;
    let txMs = 0;
    let attempts = 0;
    let result: TransactionResult | null = null;
    let ended = false;
    numbersTaken = 0;
    let failure: ClassifiedError | null = null;
    // Whether anything (a rollback, a lock's release) ran after `clock`.
    let after = false;
    for (;;) {
      attempts++;
      failure = null;
      lockAtMs = null;
      commitAtMs = null;
      try {
        if (strategy.queue || strategy.fileLock) {
          const waitStart = clock;
          state(WriterState.queued);
          try {
            if (strategy.queue) {
              if (ctx.queue === null) {
                throw new Error(
                  "The queue strategy needs Worker mode (shared memory)",
                );
              }
              await ctx.queue.acquire();
              queued = true;
            }
            if (strategy.fileLock) await acquireFileLock();
          } finally {
            // A wait that ended in a refusal was a wait too.
            clock = now();
            lockWaitMs += clock - waitStart;
          }
        }
        const txStart = clock;
        try {
          result = syncInsert
            ? (asyncWait
              ? await insertRowsOrWait(op, index)
              : insertRowsSync(op))
            : settings.workload === "insert"
            ? await insertRows(op, index)
            : settings.workload === "counter"
            ? await incrementCounter(index)
            : settings.workload === "parentChildren"
            ? await parentAndChildren(op, index)
            : await runTask(op, index);
        } finally {
          clock = now();
          txMs += clock - txStart;
        }
      } catch (error) {
        ended = error instanceof HostEnded;
        failure = error instanceof StrategyLockError
          ? { outcome: "busy", code: null, message: error.message }
          : classify(error);
        result = null;
        after = true;
        if (connection.inTransaction) {
          try {
            rollback.run();
          } catch {
            // The failure above is what the record reports.
          }
        }
      } finally {
        if (release()) after = true;
      }
      // Ended mid-operation: nothing more is recorded. Marked first, so the
      // orchestrator sees that a thread it ended came back from its call.
      if (ended) {
        state(WriterState.halted);
        await halt();
      }
      if (failure === null || failure.outcome === "error") break;
      const retry = strategy.retry;
      if (retry === undefined || attempts >= retry.attempts || stopped()) break;
      const waitStart = now();
      setRetrying(shared, id, attempts, failure.outcome === "locked");
      await delay(retryDelay(retry, attempts - 1));
      clock = now();
      lockWaitMs += clock - waitStart;
      after = false;
    }
    const endMs = after ? now() : clock;
    // The run's progress: lock errors so far, and commits that are not.
    const unused = numbersTaken - (failure === null ? 1 : 0);
    if (unused > 0) shared.add(UNCOMMITTED, unused);
    if (failure !== null && failure.outcome !== "error") {
      shared.add(LOCK_ERRORS, 1);
    }
    ctx.record({
      writer: id,
      seq: op.seq,
      outcome: failure === null ? "ok" : failure.outcome,
      code: failure?.code ?? null,
      message: failure?.message ?? null,
      attempts,
      startMs,
      endMs,
      lockWaitMs,
      txMs,
      lockAtMs: commitAtMs === null ? null : lockAtMs,
      commitAtMs: lockAtMs === null ? null : commitAtMs,
      commitSeq: result?.commitSeq ?? null,
      rowids: result?.rowids ?? [],
      read: result?.read ?? null,
      wrote: result?.wrote ?? null,
      resolved: null,
    });
    // Progress now counts this operation as ended: if the host dies before
    // its outcome leaves, the orchestrator knows it ran.
    setProgress(shared, id, WriterState.between, index + 1);
  }
  ctx.queue?.leave();
  state(WriterState.done);
}
