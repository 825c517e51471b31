/**
 * The orchestrator: checks a plan, prepares the database, deals the
 * operations to the writers, runs their hosts, and reports what every
 * operation did.
 *
 * @module
 */
import { withConnection } from "./_db.ts";
import { StoredFingerprints } from "./_fingerprint.ts";
import { sweepStaleTempDirs } from "./_temp_dirs.ts";
import { now, STOP } from "./host/_memory.ts";
import type { WriterAssignment } from "./host/_protocol.ts";
import { DeadlineError, RunAbortedError } from "./errors.ts";
import type { HammerPlan, RunSettings } from "./plan.ts";
import { resolvePlan } from "./_resolve_plan.ts";
import { buildReport, type Report } from "./report/report.ts";
import { registerRun } from "./run/_active_runs.ts";
import { assign } from "./run/_assign.ts";
import { collectRest } from "./run/_collect.ts";
import {
  coordinate,
  type Coordination,
  removeRunFilesSync,
  type RunFiles,
} from "./run/_coordination.ts";
import { HostPool } from "./run/_host_pool.ts";
import {
  applyDatabase,
  checkLockFile,
  checkTaskModule,
  inspectDatabase,
  type Prepared,
} from "./run/_prepare.ts";
import { type RunEnd, RunRecord, RunSession } from "./run/_session.ts";
import { afterRun } from "./run/_settle.ts";
import { liveHostCount } from "./run/_spawn.ts";
import { StopSignal } from "./run/_stop_signal.ts";
import { unfinishedMessage, unfinishedWriters } from "./run/_unfinished.ts";
import { defaultDriver, loadDriver } from "./sqlite/_load.ts";
import { checkJournalMode } from "./sqlite/_connection.ts";

/**
 * How many writer hosts (Workers or processes) are alive right now, across
 * all runs. A run ends all of its hosts on every path, so this is zero
 * whenever no run is in progress, with one exception Deno imposes: a Worker
 * whose thread was stuck in a synchronous call when its run was stopped (a
 * task's endless loop) cannot be terminated there, and is counted until it
 * returns from that call (the run's `DeadlineError` or `RunAbortedError`
 * says so). Host processes are killed, and end by themselves if the process
 * that runs them dies.
 *
 * @example No host outlives a run
 * ```ts
 * import { liveHosts } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(liveHosts(), 0);
 * ```
 *
 * @returns The number of live hosts.
 */
export function liveHosts(): number {
  return liveHostCount();
}

/**
 * Runs a plan: spawns the writer hosts, starts every writer at the same
 * instant through a shared-memory barrier, and returns what each operation
 * did. A host that crashes is reported (its writers' unfinished operations
 * marked), never waited for.
 *
 * @example Hammer a table with the general entry point
 * ```ts
 * import { createTable, fixtureDb, generateRows, hammer } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await hammer({
 *   db,
 *   workload: { kind: "insert", table: "messages", rows: generateRows(6) },
 *   writers: 3,
 *   busyTimeoutMs: 5000,
 * });
 * assert.equal(report.ok, 6);
 * ```
 *
 * @param plan Database, workload and options.
 * @returns The report of the run.
 * @throws {TypeError} If an option, the table or the rows are invalid (before anything is spawned).
 * @throws {RangeError} If a number is out of range (before anything is spawned).
 * @throws {DeadlineError} If the run passes `deadlineMs`; it carries the partial report.
 * @throws {RunAbortedError} If `signal` aborts during the run; it carries the partial report.
 * @throws {DOMException} `signal.reason`, if `signal` aborted before the run started.
 * @throws {Error} If a host cannot open the database.
 */
export async function hammer(plan: HammerPlan): Promise<Report> {
  const resolved = resolvePlan(plan);
  // Aborted before the start: nothing is loaded, read or written.
  plan.signal?.throwIfAborted();
  // Load the driver and any task module here first, so a bad one fails
  // clearly before any writer starts.
  const driver = await loadDriver(resolved.driver);
  checkJournalMode(driver, resolved.journalMode);
  if (resolved.workload.kind === "task") {
    await checkTaskModule(resolved.workload.module);
  }
  checkLockFile(resolved.strategy);
  const rows = plan.workload.kind === "insert" ? plan.workload.rows : [];
  // Setting up waits for other connections' locks as the run's writers do,
  // at least as long as dbhammer's own helpers.
  const access = { busyTimeoutMs: resolved.busyTimeoutMs };
  const inspected = withConnection(
    plan.db,
    (conn) => inspectDatabase(conn, resolved),
    access,
  );
  const base: RunSettings = { ...resolved, driverName: driver.name };
  // Rows are recognised afterwards as SQLite stores them: a value it may
  // convert ("10.50" in a DECIMAL column is 10.5) is stored once in memory,
  // through the run's driver, which binds values as the writers will.
  const stored = new StoredFingerprints(inspected.affinities, () => {
    try {
      return driver.open(":memory:");
    } catch {
      return defaultDriver.open(":memory:");
    }
  });
  let assignments: WriterAssignment[];
  try {
    assignments = assign(plan, base, stored);
  } finally {
    stored.close();
  }
  return await run(base, assignments, plan, () =>
    withConnection(
      plan.db,
      (conn) => applyDatabase(conn, base, inspected, rows),
      access,
    ));
}

/**
 * The run itself: its files and shared memory, the database prepared (only
 * once nothing can stop it first), the hosts from spawn to gone. Undone at
 * once if the process must exit: hosts killed, files removed.
 */
async function run(
  base: RunSettings,
  assignments: WriterAssignment[],
  plan: HammerPlan,
  prepare: () => Prepared,
): Promise<Report> {
  sweepStaleTempDirs();
  const files: RunFiles = { dir: null, removed: false };
  let pool: HostPool | null = null;
  const unregister = registerRun(() => {
    pool?.kill();
    removeRunFilesSync(files);
  }, { handleSignals: plan.handleSignals ?? true });
  let coordination: Coordination | null = null;
  try {
    coordination = await coordinate(base, files);
    // Aborted while the run's files were made: nothing was started, and
    // nothing written to the database.
    plan.signal?.throwIfAborted();
    const prepared = prepare();
    const settings: RunSettings = {
      ...base,
      journalMode: prepared.journalMode,
    };
    await using hosts = pool = new HostPool(settings, coordination.shared);
    return await orchestrate(settings, prepared, coordination, plan, hosts, {
      assignments,
    });
  } finally {
    unregister();
    if (coordination !== null) await coordination.dispose();
    else {
      // `coordinate` failed partway: remove what it made.
      try {
        removeRunFilesSync(files);
      } catch {
        // The error thrown is the one to report.
      }
    }
  }
}

/**
 * Spawns the hosts and opens the barrier once all are ready; waits until
 * they are done, one fails, or the deadline or the caller stops the run;
 * then waits for the hosts to be gone, collects and settles every outcome,
 * and returns the report (or throws it inside the stop's error).
 */
async function orchestrate(
  settings: RunSettings,
  prepared: Prepared,
  coordination: Coordination,
  plan: HammerPlan,
  pool: HostPool,
  { assignments }: { assignments: WriterAssignment[] },
): Promise<Report> {
  const { shared } = coordination;
  const record = new RunRecord(
    settings,
    assignments,
    shared,
    prepared.sqliteVersion,
  );
  const session = new RunSession(
    settings,
    pool,
    coordination,
    record,
    plan.onProgress,
  );
  let end: RunEnd;
  {
    using stop = new StopSignal(settings.deadlineMs, plan.signal);
    session.start(stop);
    end = await session.ended;
  }
  switch (end.kind) {
    case "done":
      // Every host has ended: nothing waits for the queue any more.
      shared.store(STOP, 1);
      await pool.closed();
      return await report(settings, prepared, record, pool, null);
    case "failed":
      pool.stopAll("stopped", end.error.message);
      // After every host is marked ended: see `stopped`.
      shared.store(STOP, 1);
      await pool.closed();
      throw end.error;
    case "stopped":
      throw await stopped(settings, prepared, record, pool, end, plan.signal);
  }
}

/**
 * Stops every host of a run its deadline or its caller stopped, and makes
 * the error that carries what was recorded.
 */
async function stopped(
  settings: RunSettings,
  prepared: Prepared,
  record: RunRecord,
  pool: HostPool,
  end: { byDeadline: boolean },
  signal: AbortSignal | undefined,
): Promise<Error> {
  const { unfinished, notes } = await unfinishedWriters(
    settings,
    record.assignments,
    pool,
  );
  pool.stopAll(
    "stopped",
    end.byDeadline
      ? `stopped at the deadline of ${settings.deadlineMs} ms`
      : "the run was aborted",
  );
  // Only now, when every host is marked ended: a writer that sees the stop
  // then sees its host ended too, and records nothing more. Stored first, a
  // writer waiting for its queue turn could wake in between (while another
  // host is being terminated) and record a lock error for an operation the
  // report must give as not started.
  record.shared.store(STOP, 1);
  const stoppedAt = now();
  const message = unfinishedMessage(
    end.byDeadline
      ? `passed its deadline of ${settings.deadlineMs} ms`
      : "was aborted",
    unfinished,
    notes,
  );
  await pool.closed();
  const partial = await report(settings, prepared, record, pool, stoppedAt);
  return end.byDeadline
    ? new DeadlineError(message, partial, unfinished)
    : new RunAbortedError(message, partial, unfinished, signal?.reason);
}

/**
 * Every operation's outcome, settled against the database, as the report.
 * The duration runs to the last operation's end, or to `stoppedAt` for a
 * run that was stopped.
 */
async function report(
  settings: RunSettings,
  prepared: Prepared,
  record: RunRecord,
  pool: HostPool,
  stoppedAt: number | null,
): Promise<Report> {
  const { outcomes, startedAt } = record;
  collectRest(record, outcomes, (o) => record.add(o));
  const after = await afterRun(settings, prepared.baseline, outcomes);
  const lastEnd = outcomes.reduce((m, o) => Math.max(m, o.endMs ?? 0), 0);
  return buildReport({
    settings,
    sqliteVersion: record.sqliteVersion,
    startedAtMs: startedAt === 0 ? Date.now() : startedAt,
    baseline: prepared.baseline,
    outcomes,
    hosts: pool.summaries(),
    durationMs: stoppedAt === null
      ? lastEnd
      : startedAt === 0
      ? 0
      : stoppedAt - startedAt,
    counterAfter: after.counterAfter,
    lockFreeAfterRun: after.lockFree,
  });
}
