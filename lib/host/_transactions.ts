// Private: one transaction of each workload, as a writer runs it: its
// statements, its waits (SQLite's, through the busy wait), its hold, its
// crash point, its commit number and its certain lock tenure.
import type {
  CounterSettings,
  CrashSpec,
  ParentChildrenSettings,
  RunSettings,
  TaskSettings,
} from "../plan.ts";
import { holdFor } from "../plan.ts";
import type { ClassifiedError } from "../sqlite/_classify.ts";
import type { BusyWait } from "./_busy_wait.ts";
import {
  COMMITS,
  delay,
  now,
  WriterState,
  type WriterStateValue,
} from "./_memory.ts";
import type { Operation, WriterContext } from "./_writer_context.ts";

/** Thrown where a writer finds its host ended: it must not commit. */
export class HostEnded extends Error {}

/** What one transaction produced. */
export interface TransactionResult {
  rowids: number[];
  read: number | null;
  wrote: number | null;
  commitSeq: number | null;
}

/** How far a synchronous insert got: its rowids and commit number. */
interface SyncProgress {
  rowids: number[] | null;
  commitSeq: number | null;
}

/**
 * A writer's transactions. Per attempt it keeps when the write lock was
 * surely held (`lockAtMs` to `commitAtMs`); per operation, how many commit
 * numbers it took (one it does not commit with is given back, for the
 * run's progress).
 */
export class Transactions {
  /** The attempt's certain lock tenure, or `null` where not known. */
  lockAtMs: number | null = null;
  commitAtMs: number | null = null;
  /** Commit numbers taken in this operation. */
  numbersTaken = 0;
  readonly #ctx: WriterContext;
  readonly #settings: RunSettings;
  readonly #busy: BusyWait;
  readonly #state: (value: WriterStateValue) => void;
  readonly #classify: (error: unknown) => ClassifiedError;
  readonly #crash: CrashSpec | null;
  readonly #holdMs: number;
  /**
   * An insert with nothing to wait for inside it (no hold, no crash point,
   * no asynchronous busy wait) runs without an await, as an application's
   * synchronous transaction would, where that cannot change who contends
   * with whom: the writer has its thread to itself, or the strategy's lock
   * already lets one writer at a time into a transaction. Writers sharing a
   * thread otherwise keep interleaving between statements, as concurrent
   * connections do.
   */
  readonly syncInsert: boolean;
  readonly #asyncWait: boolean;

  constructor(
    ctx: WriterContext,
    busy: BusyWait,
    state: (value: WriterStateValue) => void,
    classify: (error: unknown) => ClassifiedError,
  ) {
    const settings = ctx.settings;
    this.#ctx = ctx;
    this.#settings = settings;
    this.#busy = busy;
    this.#state = state;
    this.#classify = classify;
    this.#crash = settings.crash?.writer === ctx.id
      ? settings.crash as CrashSpec
      : null;
    this.#holdMs = holdFor(settings, ctx.id);
    this.#asyncWait = settings.busyWait === "async" &&
      settings.busyTimeoutMs > 0;
    const { strategy } = settings;
    this.syncInsert = ctx.statements.insert !== null && this.#holdMs === 0 &&
      this.#crash === null &&
      (settings.busyWait === "sqlite" ||
        strategy.queue === true || strategy.fileLock !== undefined);
  }

  /** Starts a new attempt: no tenure known yet. */
  newAttempt(): void {
    this.lockAtMs = null;
    this.commitAtMs = null;
  }

  /** Runs operation `index` of the writer's workload, once. */
  run(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> | TransactionResult {
    const settings = this.#settings;
    if (this.syncInsert) {
      return this.#asyncWait
        ? this.#insertRowsOrWait(op, index)
        : this.#insertRowsSync(op);
    }
    const workload = settings.workload;
    switch (workload.kind) {
      case "insert":
        return this.#insertRows(op, index);
      case "counter":
        return this.#incrementCounter(workload, index);
      case "parentChildren":
        return this.#parentAndChildren(workload, op, index);
      case "task":
        return this.#runTask(workload, op, index);
    }
  }

  /** The crash point of this writer, if `index` and the place match it. */
  async crashPoint(index: number, inTransaction: boolean): Promise<void> {
    const crash = this.#crash;
    if (
      crash !== null && crash.afterOps === index &&
      crash.inTransaction === inTransaction
    ) await this.#ctx.crash?.();
  }

  /** Whether this writer has a crash point at all. */
  get crashes(): boolean {
    return this.#crash !== null;
  }

  #lockTaken(): void {
    this.lockAtMs ??= now();
  }

  /** A host ended mid-operation commits nothing more. */
  #alive(): void {
    if (this.#ctx.killed?.()) throw new HostEnded();
  }

  /**
   * Taken while this connection holds the write lock, so the numbers follow
   * the order in which transactions commit.
   */
  #nextCommit(): number {
    this.numbersTaken++;
    return this.#ctx.shared.add(COMMITS, 1) + 1;
  }

  /**
   * BEGIN in the run's mode. Returns whether the connection now holds a read
   * transaction: after BEGIN IMMEDIATE/EXCLUSIVE it does (and the write lock
   * too), so SQLite would not wait on a busy error from there on.
   */
  async #begin(): Promise<boolean> {
    const { begin } = this.#ctx.statements;
    this.#state(WriterState.acquiring);
    await this.#busy.step(() => begin.run(), true, WriterState.acquiring);
    const holdsRead = this.#settings.transaction !== "deferred";
    if (holdsRead) {
      this.#lockTaken();
      this.#state(WriterState.holding);
    }
    return holdsRead;
  }

  /**
   * The end of every operation: the crash point, the hold (unless the
   * workload held elsewhere), the commit number, and COMMIT of the
   * operation's transaction.
   */
  async #finish(
    index: number,
    hold: boolean,
    commitNow: boolean,
  ): Promise<number> {
    if (this.#crash !== null) await this.crashPoint(index, true);
    if (hold && this.#holdMs > 0) await delay(this.#holdMs);
    this.#alive();
    const commitSeq = this.#nextCommit();
    if (commitNow) {
      const { commit } = this.#ctx.statements;
      this.commitAtMs = now();
      this.#state(WriterState.committing);
      await this.#busy.step(() => commit.run(), true, WriterState.committing);
    }
    return commitSeq;
  }

  async #insertRows(op: Operation, index: number): Promise<TransactionResult> {
    const insert = this.#ctx.statements.insert!;
    let holdsRead = await this.#begin();
    const rowids: number[] = [];
    for (const values of op.rows) {
      const result = await this.#busy.step(
        () => insert.run(...values),
        !holdsRead,
        WriterState.acquiring,
      );
      holdsRead = true;
      this.#lockTaken();
      this.#state(WriterState.holding);
      rowids.push(Number(result.lastInsertRowid));
    }
    const commitSeq = await this.#finish(index, true, true);
    return { rowids, read: null, wrote: null, commitSeq };
  }

  /**
   * The synchronous insert; under the strategy's lock on a shared thread with
   * a busy timeout, a lock error means SQLite's lock is held outside the
   * strategy (a killed Worker's connection, another program): the
   * transaction is rolled back and run again with SQLite's busy waits, or,
   * when only its COMMIT failed, the commit is waited for.
   */
  async #insertRowsOrWait(
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const done: SyncProgress = { rowids: null, commitSeq: null };
    const { connection, statements } = this.#ctx;
    try {
      return this.#insertRowsSync(op, done);
    } catch (error) {
      if (this.#classify(error).outcome === "error") throw error;
      if (done.commitSeq !== null && connection.inTransaction) {
        // COMMIT met a reader's lock (DELETE journal): the writes are in
        // and the commit number taken; wait for the commit as SQLite would.
        await this.#busy.step(
          () => statements.commit.run(),
          true,
          WriterState.committing,
        );
        return {
          rowids: done.rowids!,
          read: null,
          wrote: null,
          commitSeq: done.commitSeq,
        };
      }
      if (connection.inTransaction) statements.rollback.run();
      this.newAttempt();
      return await this.#insertRows(op, index);
    }
  }

  #insertRowsSync(op: Operation, done?: SyncProgress): TransactionResult {
    const { begin, insert, commit } = this.#ctx.statements;
    const state = this.#state;
    state(WriterState.acquiring);
    begin.run();
    if (this.#settings.transaction !== "deferred") {
      this.#lockTaken();
      state(WriterState.holding);
    }
    // Sized up front and filled by index: no growing array per operation.
    const rows = op.rows;
    const rowids: number[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const result = insert!.run(...rows[i]);
      this.#lockTaken();
      state(WriterState.holding);
      rowids[i] = Number(result.lastInsertRowid);
    }
    this.#alive();
    const commitSeq = this.#nextCommit();
    if (done !== undefined) {
      done.rowids = rowids;
      done.commitSeq = commitSeq;
    }
    this.commitAtMs = now();
    state(WriterState.committing);
    commit.run();
    return { rowids, read: null, wrote: null, commitSeq };
  }

  async #incrementCounter(
    workload: CounterSettings,
    index: number,
  ): Promise<TransactionResult> {
    const { by, transaction } = workload;
    const { readCounter, writeCounter } = this.#ctx.statements;
    const table = workload.table;
    const readValue = (): number => {
      const row = readCounter!.get() as { n: number } | undefined;
      if (row === undefined) {
        throw new Error(`No counter row (id = 1) in ${table}`);
      }
      return Number(row.n);
    };
    // Without a transaction the read and the write are two statements, each
    // its own transaction: the classic lost update.
    const holdsRead = transaction ? await this.#begin() : false;
    if (!transaction) this.#state(WriterState.acquiring);
    const read = await this.#busy.step(
      readValue,
      !holdsRead,
      WriterState.acquiring,
    );
    if (this.#holdMs > 0) await delay(this.#holdMs);
    // Inside a transaction the connection holds a read transaction now: in
    // DELETE mode a busy error here comes back at once, in WAL mode a stale
    // snapshot is SQLITE_BUSY_SNAPSHOT; SQLite's busy handler waits for
    // neither.
    await this.#busy.step(
      () => writeCounter!.run(read + by),
      !transaction,
      WriterState.acquiring,
    );
    // Without a transaction the write was its own: its tenure is unknown.
    if (transaction) {
      this.#lockTaken();
      this.#state(WriterState.holding);
    }
    const commitSeq = await this.#finish(index, false, transaction);
    return { rowids: [], read, wrote: read + by, commitSeq };
  }

  async #parentAndChildren(
    workload: ParentChildrenSettings,
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const { insertParent, insertChild } = this.#ctx.statements;
    const holdsRead = await this.#begin();
    const parent = await this.#busy.step(
      () => insertParent!.run(this.#ctx.id, op.seq),
      !holdsRead,
      WriterState.acquiring,
    );
    this.#lockTaken();
    this.#state(WriterState.holding);
    const parentId = Number(parent.lastInsertRowid);
    for (let i = 0; i < workload.children; i++) {
      insertChild!.run(parentId, i);
    }
    const commitSeq = await this.#finish(index, true, true);
    return { rowids: [parentId], read: null, wrote: null, commitSeq };
  }

  async #runTask(
    workload: TaskSettings,
    op: Operation,
    index: number,
  ): Promise<TransactionResult> {
    const { transaction, params } = workload;
    const ctx = this.#ctx;
    const holdsLock = transaction ? await this.#begin() : false;
    if (!holdsLock) this.#state(WriterState.running);
    await ctx.task!({
      db: ctx.connection,
      writer: ctx.id,
      seq: op.seq,
      params,
    });
    const commitSeq = await this.#finish(index, true, transaction);
    return { rowids: [], read: null, wrote: null, commitSeq };
  }
}
