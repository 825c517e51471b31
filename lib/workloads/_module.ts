// Private: what a workload is: one file per kind implementing this
// interface, and one line in `_registry.ts`. The writer's host calls its
// transaction; the orchestrator, the rest.
import type { DriverStatement, SqlValue } from "../driver.ts";
import type { Affinity } from "../_fingerprint.ts";
import {
  type Baseline,
  DEFAULT_COUNTER_WRITERS,
  type HammerPlan,
  MAX_WRITERS,
  type Outcome,
  type RunSettings,
  type TaskContext,
  type Workload,
  type WorkloadSettings,
} from "../plan.ts";
import { integer } from "../_validate.ts";
import type { Connection } from "../sqlite/_connection.ts";

/**
 * One operation (transaction) as a writer runs it. The orchestrator keeps
 * which input rows it holds and their fingerprints (`PlannedOperation`).
 */
export interface Operation {
  /** Index of the operation in the writer's own sequence. */
  seq: number;
  /** Each row's values, in the workload's `columns` order (inserts). */
  rows: SqlValue[][];
}

/** What one transaction produced. */
export interface TransactionResult {
  rowids: number[];
  read: number | null;
  wrote: number | null;
  commitSeq: number | null;
}

/** How far a synchronous transaction got: its rowids and commit number. */
export interface SyncProgress {
  rowids: number[] | null;
  commitSeq: number | null;
}

/**
 * What a writer's host gives a workload's transaction: its connection and
 * statements, SQLite's waits, the lock tenure, the crash point, the hold,
 * the commit number and COMMIT.
 */
export interface TransactionContext<Statements> {
  /** Writer id. */
  readonly writer: number;
  readonly connection: Connection;
  /** The workload's statements, prepared at set-up. */
  readonly statements: Statements;
  /** This writer's hold inside each transaction, in ms. */
  readonly holdMs: number;
  /** The task workload's function. */
  readonly task: ((ctx: TaskContext) => unknown) | undefined;
  /** BEGIN in the run's mode: whether it now holds the write lock. */
  begin(): Promise<boolean>;
  /** BEGIN, synchronously, for a transaction with nothing to wait for. */
  beginSync(): boolean;
  /** One SQLite call; a busy error waited out where SQLite would wait. */
  step<T>(call: () => T, canWait: boolean): T | Promise<T>;
  /** The write lock is surely held from now on. */
  lockTaken(): void;
  /** Shows what the writer does. */
  state(phase: "acquiring" | "holding" | "running"): void;
  /**
   * The end of a transaction: the crash point, the hold (with `hold`), the
   * commit number and, with `commit`, COMMIT. Returns the number.
   */
  finish(hold: boolean, commit: boolean): Promise<number>;
  /** The commit number, for a synchronous transaction about to commit. */
  takeCommit(): number;
  /** COMMIT, synchronously. */
  commitSync(): void;
}

/** What the orchestrator learns of the table before anything is written. */
export interface Inspected {
  /** An insert run's columns' affinities, in its `columns` order. */
  affinities: Affinity[];
  /** The table's rowid alias (its sole INTEGER PRIMARY KEY), if the rows give it. */
  rowidColumn: string | null;
}

/** A workload: everything about it that is not the same for all. */
export interface WorkloadModule<S extends WorkloadSettings, Statements> {
  /**
   * The workload's options checked (a bad one throws, naming it), with its
   * defaults applied, and the run's writers (`plan.writers` or its default).
   */
  resolve(
    workload: Extract<Workload, { kind: S["kind"] }>,
    plan: HammerPlan,
    rowsPerTransaction: number,
  ): { settings: S; writers: number };
  /** The writer's statements, prepared at set-up (reading the schema). */
  statements(conn: Connection, settings: S): Statements;
  /** One operation's transaction. */
  run(
    ctx: TransactionContext<Statements>,
    settings: S,
    op: Operation,
  ): Promise<TransactionResult>;
  /**
   * The same transaction without an await, where it has nothing to wait
   * for (inserts only); `done` says how far it got if it throws.
   */
  runSync?(
    ctx: TransactionContext<Statements>,
    settings: S,
    op: Operation,
    done?: SyncProgress,
  ): TransactionResult;
  /** Checks the table before the run, writing nothing. */
  inspect(conn: Connection, settings: S, path: string): Inspected;
  /** Makes what the workload needs (its tables) before the run. */
  prepare(conn: Connection, settings: S, path: string): void;
  /** The counter's value, for a workload that has one, else `null`. */
  counterValue(conn: Connection, settings: S): number | null;
  /** Settles `unknown` operations against the database, where it can. */
  settle(
    conn: Connection,
    settings: S,
    outcomes: Outcome[],
    baseline: Baseline,
    counterAfter: number | null,
  ): void;
  /** What the writers did, for the summary's first line. */
  what(settings: S): string;
  /** The summary's transactions line. */
  transactions(settings: S, run: RunSettings): string;
}

/** Statements every workload's writer has. */
export type CommonStatements = {
  begin: DriverStatement;
  commit: DriverStatement;
  rollback: DriverStatement;
};

/** A hold, as the summary gives it. */
export function hold(value: number | number[]): string {
  return Array.isArray(value) ? `[${value.join(", ")}] ms` : `${value} ms`;
}

/** No inspection: nothing of the table is needed before the run. */
export const NOTHING_INSPECTED: Inspected = {
  affinities: [],
  rowidColumn: null,
};

/** The writers of a run whose workload has no rows to deal. */
export function defaultWriters(plan: HammerPlan): number {
  return integer(
    "writers",
    plan.writers ?? DEFAULT_COUNTER_WRITERS,
    1,
    MAX_WRITERS,
  );
}

/** A count of operations per writer. */
export const operationsOption = (value: unknown): number =>
  integer("operations", value, 1, Number.MAX_SAFE_INTEGER);
