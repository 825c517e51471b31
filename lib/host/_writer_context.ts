// Private: what a writer is given: its operations, its prepared statements
// and the rest of its context, and what it records of each operation.
import type { ClassifiedError } from "../sqlite/_classify.ts";
import type { SharedInts } from "./_memory.ts";
import type { HostQueue } from "./_queue.ts";
import type { Connection } from "../sqlite/_connection.ts";
import type { DriverStatement } from "../driver.ts";
import { workloadModule } from "../workloads/_registry.ts";
import type { Operation } from "../workloads/_module.ts";
import type { Outcome, RunSettings, TaskContext } from "../plan.ts";

export type { Operation } from "../workloads/_module.ts";

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
  /** The workload's own (see its module's `statements`). */
  workload: unknown;
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
  return {
    begin: connection.prepare(BEGIN[settings.transaction]),
    commit: connection.prepare("COMMIT"),
    rollback: connection.prepare("ROLLBACK"),
    workload: workloadModule(settings.workload).statements(
      connection,
      settings.workload,
    ),
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
