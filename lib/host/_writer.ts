/**
 * One writer: a connection of its own that runs its operations in order,
 * applies the lock strategy, and records what each operation did. Runs
 * inside a host Worker.
 *
 * @module
 */
import { type ClassifiedError, classifyError } from "../sqlite/_classify.ts";
import { BusyWait } from "./_busy_wait.ts";
import {
  delay,
  LOCK_ERRORS,
  now,
  setProgress,
  setRetrying,
  STOP,
  UNCOMMITTED,
  WriterState,
  type WriterStateValue,
} from "./_memory.ts";
import { type StrategyLock, strategyLock } from "./_strategy_lock.ts";
import {
  HostEnded,
  type TransactionResult,
  Transactions,
} from "./_transactions.ts";
import { retryDelay, StrategyLockError } from "../strategies.ts";
import type {
  Operation,
  WriterContext,
  WriterOutcome,
} from "./_writer_context.ts";

/**
 * Runs a writer's operations one after another and records each outcome.
 * Never throws for a failed operation: a failure is an outcome.
 *
 * @param ctx The writer's connection, operations and shared memory.
 */
export async function runWriter(ctx: WriterContext): Promise<void> {
  const { shared, id } = ctx;
  const state = (value: WriterStateValue): void =>
    setProgress(shared, id, value);
  const stopped = (): boolean => shared.load(STOP) !== 0;
  const classify = ctx.classify ?? classifyError;
  const busy = new BusyWait({
    timeoutMs: ctx.settings.busyTimeoutMs,
    async: ctx.settings.busyWait === "async",
    classify,
    stopped,
    state,
  });
  const writer: Writer = {
    ctx,
    state,
    stopped,
    classify,
    busy,
    transactions: new Transactions(ctx, busy, state, classify),
    lock: strategyLock(ctx.settings.strategy, ctx.queue, stopped),
  };
  for (let index = 0; index < ctx.operations.length; index++) {
    // Ended by the orchestrator while its thread was inside a call: a
    // terminated Worker may run on until its event loop turns. Start
    // nothing more and record nothing more; the orchestrator settles the
    // rest against the database.
    if (ctx.killed?.()) await halt(ctx);
    if (stopped()) break;
    setProgress(shared, id, WriterState.between, index);
    if (writer.transactions.crashes) {
      await writer.transactions.crashPoint(index, false);
    }
    ctx.record(await runOperation(writer, ctx.operations[index], index));
    // Progress now counts this operation as ended: if the host dies before
    // its outcome leaves, the orchestrator knows it ran.
    setProgress(shared, id, WriterState.between, index + 1);
  }
  ctx.queue?.leave();
  state(WriterState.done);
}

/** A writer's parts, as its operations use them. */
interface Writer {
  ctx: WriterContext;
  state(value: WriterStateValue): void;
  stopped(): boolean;
  classify(error: unknown): ClassifiedError;
  busy: BusyWait;
  transactions: Transactions;
  lock: StrategyLock | null;
}

/** What an ended host does instead of going on. */
function halt(ctx: WriterContext): Promise<never> {
  return ctx.halt?.() ?? new Promise<never>(() => {});
}

/**
 * One operation: each attempt takes the strategy's lock (its wait counted
 * as lock wait), runs the transaction, rolls back a failure, releases the
 * lock; a lock error is tried again as the strategy's retry says. Returns
 * its record; a host found ended halts instead.
 */
async function runOperation(
  writer: Writer,
  op: Operation,
  index: number,
): Promise<WriterOutcome> {
  const { ctx, busy, transactions: tx, lock } = writer;
  const { connection, shared, id } = ctx;
  const { retry } = ctx.settings.strategy;
  // `clock` is the last reading, reused where nothing ran since: at a fast
  // commit's rate each reading is a measurable share of the work.
  let clock = now();
  const startMs = clock;
  busy.reset();
  let lockWaitMs = 0;
  let txMs = 0;
  let attempts = 0;
  let result: TransactionResult | null = null;
  let failure: ClassifiedError | null = null;
  // Whether anything (a rollback, a lock's release) ran after `clock`.
  let after = false;
  tx.numbersTaken = 0;
  for (;;) {
    attempts++;
    failure = null;
    tx.newAttempt();
    let held: Disposable | null = null;
    let ended = false;
    try {
      if (lock !== null) {
        const waitStart = clock;
        writer.state(WriterState.queued);
        try {
          held = await lock.acquire();
        } finally {
          // A wait that ended in a refusal was a wait too.
          clock = now();
          lockWaitMs += clock - waitStart;
        }
      }
      const txStart = clock;
      try {
        const running = tx.run(op, index);
        result = running instanceof Promise ? await running : running;
      } finally {
        clock = now();
        txMs += clock - txStart;
      }
    } catch (error) {
      ended = error instanceof HostEnded;
      failure = error instanceof StrategyLockError
        ? { outcome: "busy", code: null, message: error.message }
        : writer.classify(error);
      result = null;
      after = true;
      if (connection.inTransaction) {
        try {
          ctx.statements.rollback.run();
        } catch {
          // The failure above is what the record reports.
        }
      }
    } finally {
      // Released after the rollback: the next holder finds SQLite's lock free.
      if (held !== null) {
        held[Symbol.dispose]();
        after = true;
      }
    }
    // Ended mid-operation: nothing more is recorded. Marked first, so the
    // orchestrator sees that a thread it ended came back from its call.
    if (ended) {
      writer.state(WriterState.halted);
      await halt(ctx);
    }
    if (failure === null || failure.outcome === "error") break;
    if (retry === undefined || attempts >= retry.attempts || writer.stopped()) {
      break;
    }
    const waitStart = now();
    setRetrying(shared, id, attempts, failure.outcome === "locked");
    await delay(retryDelay(retry, attempts - 1));
    clock = now();
    lockWaitMs += clock - waitStart;
    after = false;
  }
  const endMs = after ? now() : clock;
  // The run's progress: lock errors so far, and commits that are not.
  const unused = tx.numbersTaken - (failure === null ? 1 : 0);
  if (unused > 0) shared.add(UNCOMMITTED, unused);
  if (failure !== null && failure.outcome !== "error") {
    shared.add(LOCK_ERRORS, 1);
  }
  return {
    writer: id,
    seq: op.seq,
    outcome: failure === null ? "ok" : failure.outcome,
    code: failure?.code ?? null,
    message: failure?.message ?? null,
    attempts,
    startMs,
    endMs,
    lockWaitMs: lockWaitMs + busy.waitedMs,
    txMs,
    lockAtMs: tx.commitAtMs === null ? null : tx.lockAtMs,
    commitAtMs: tx.lockAtMs === null ? null : tx.commitAtMs,
    commitSeq: result?.commitSeq ?? null,
    rowids: result?.rowids ?? [],
    read: result?.read ?? null,
    wrote: result?.wrote ?? null,
    resolved: null,
  };
}
