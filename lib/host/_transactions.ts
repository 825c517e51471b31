// Private: what a writer's host gives each transaction of its workload:
// SQLite's waits (through the busy wait), the hold, the crash point, the
// commit number, COMMIT, and the certain lock tenure it records.
import type { CrashSpec, RunSettings, TaskContext } from "../plan.ts";
import { holdFor } from "../plan.ts";
import type { ClassifiedError } from "../sqlite/_classify.ts";
import type { Connection } from "../sqlite/_connection.ts";
import type {
  Operation,
  SyncProgress,
  TransactionContext,
  TransactionResult,
  WorkloadModule,
} from "../workloads/_module.ts";
import { workloadModule } from "../workloads/_registry.ts";
import type { BusyWait } from "./_busy_wait.ts";
import {
  COMMITS,
  delay,
  now,
  WriterState,
  type WriterStateValue,
} from "./_memory.ts";
import type { WriterContext } from "./_writer_context.ts";

export type { TransactionResult };

/** Thrown where a writer finds its host ended: it must not commit. */
export class HostEnded extends Error {}

const PHASE: Record<"acquiring" | "holding" | "running", WriterStateValue> = {
  acquiring: WriterState.acquiring,
  holding: WriterState.holding,
  running: WriterState.running,
};

/**
 * A writer's transactions. Per attempt it keeps when the write lock was
 * surely held (`lockAtMs` to `commitAtMs`); per operation, how many commit
 * numbers it took (one it does not commit with is given back, for the
 * run's progress).
 */
export class Transactions implements TransactionContext<unknown> {
  /** The attempt's certain lock tenure, or `null` where not known. */
  lockAtMs: number | null = null;
  commitAtMs: number | null = null;
  /** Commit numbers taken in this operation. */
  numbersTaken = 0;
  readonly writer: number;
  readonly connection: Connection;
  readonly statements: unknown;
  readonly holdMs: number;
  readonly task: ((ctx: TaskContext) => unknown) | undefined;
  /**
   * A transaction with nothing to wait for inside it (no hold, no crash
   * point, no asynchronous busy wait) runs without an await, as an
   * application's synchronous transaction would, where that cannot change
   * who contends with whom: the writer has its thread to itself, or the
   * strategy's lock already lets one writer at a time into a transaction.
   * Writers sharing a thread otherwise keep interleaving between
   * statements, as concurrent connections do.
   */
  readonly syncRun: boolean;
  readonly #ctx: WriterContext;
  readonly #settings: RunSettings;
  readonly #module: WorkloadModule<RunSettings["workload"], unknown>;
  readonly #busy: BusyWait;
  readonly #state: (value: WriterStateValue) => void;
  readonly #classify: (error: unknown) => ClassifiedError;
  readonly #crash: CrashSpec | null;
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
    this.#module = workloadModule(settings.workload);
    this.#busy = busy;
    this.#state = state;
    this.#classify = classify;
    this.writer = ctx.id;
    this.connection = ctx.connection;
    this.statements = ctx.statements.workload;
    this.task = ctx.task;
    this.#crash = settings.crash?.writer === ctx.id
      ? settings.crash as CrashSpec
      : null;
    this.holdMs = holdFor(settings, ctx.id);
    this.#asyncWait = settings.busyWait === "async" &&
      settings.busyTimeoutMs > 0;
    const { strategy } = settings;
    this.syncRun = this.#module.runSync !== undefined && this.holdMs === 0 &&
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
    this.#index = index;
    if (this.syncRun) {
      return this.#asyncWait
        ? this.#runOrWait(op)
        : this.#module.runSync!(this, this.#settings.workload, op);
    }
    return this.#module.run(this, this.#settings.workload, op);
  }

  /** The operation running, for its crash point. */
  #index = 0;

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

  lockTaken(): void {
    this.lockAtMs ??= now();
  }

  state(phase: "acquiring" | "holding" | "running"): void {
    this.#state(PHASE[phase]);
  }

  step<T>(call: () => T, canWait: boolean): T | Promise<T> {
    return this.#busy.step(call, canWait, WriterState.acquiring);
  }

  /**
   * BEGIN in the run's mode. Returns whether the connection now holds a read
   * transaction: after BEGIN IMMEDIATE/EXCLUSIVE it does (and the write lock
   * too), so SQLite would not wait on a busy error from there on.
   */
  async begin(): Promise<boolean> {
    const { begin } = this.#ctx.statements;
    this.#state(WriterState.acquiring);
    await this.#busy.step(() => begin.run(), true, WriterState.acquiring);
    return this.#begun();
  }

  beginSync(): boolean {
    this.#ctx.statements.begin.run();
    return this.#begun();
  }

  #begun(): boolean {
    const holdsRead = this.#settings.transaction !== "deferred";
    if (holdsRead) {
      this.lockTaken();
      this.#state(WriterState.holding);
    }
    return holdsRead;
  }

  /**
   * The end of every operation: the crash point, the hold (unless the
   * workload held elsewhere), the commit number, and COMMIT of the
   * operation's transaction.
   */
  async finish(hold: boolean, commit: boolean): Promise<number> {
    if (this.#crash !== null) await this.crashPoint(this.#index, true);
    if (hold && this.holdMs > 0) await delay(this.holdMs);
    const commitSeq = this.takeCommit(commit);
    if (commit) {
      const statement = this.#ctx.statements.commit;
      await this.#busy.step(
        () => statement.run(),
        true,
        WriterState.committing,
      );
    }
    return commitSeq;
  }

  /**
   * The commit number, taken while this connection holds the write lock so
   * the numbers follow commit order; a host ended meanwhile commits nothing
   * more. With `committing`, the tenure ends and COMMIT comes next.
   */
  takeCommit(committing = true): number {
    if (this.#ctx.killed?.()) throw new HostEnded();
    this.numbersTaken++;
    const commitSeq = this.#ctx.shared.add(COMMITS, 1) + 1;
    if (committing) {
      this.commitAtMs = now();
      this.#state(WriterState.committing);
    }
    return commitSeq;
  }

  commitSync(): void {
    this.#ctx.statements.commit.run();
  }

  /**
   * The synchronous transaction; under the strategy's lock on a shared
   * thread with a busy timeout, a lock error means SQLite's lock is held
   * outside the strategy (a killed Worker's connection, another program):
   * the transaction is rolled back and run again with SQLite's busy waits,
   * or, when only its COMMIT failed, the commit is waited for.
   */
  async #runOrWait(op: Operation): Promise<TransactionResult> {
    const done: SyncProgress = { rowids: null, commitSeq: null };
    const { connection, statements } = this.#ctx;
    const workload = this.#settings.workload;
    try {
      return this.#module.runSync!(this, workload, op, done);
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
      return await this.#module.run(this, workload, op);
    }
  }
}
