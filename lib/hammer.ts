/**
 * The orchestrator: validates a plan, starts the writer hosts, opens the start
 * barrier, collects every outcome and builds the report.
 *
 * @module
 */
import {
  type ColumnInfo,
  databaseError,
  problemOf,
  requireTable,
  withConnection,
} from "./_db.ts";
import {
  type HostMessage,
  hostWriter,
  type WriterAssignment,
} from "./host/_protocol.ts";
import {
  allocateShared,
  AtomicInts,
  COMMITS,
  delay,
  describeState,
  FileInts,
  GO,
  HEARTBEAT_MS,
  heartbeatSlot,
  inTransaction,
  killedSlot,
  LOCK_ERRORS,
  now,
  readProgress,
  type SharedInts,
  sharedLength,
  STOP,
  UNCOMMITTED,
  WriterState,
} from "./host/_memory.ts";
import {
  countWhileStuck,
  type HostHandle,
  liveHostCount,
  spawnProcessHost,
  spawnWorkerHost,
} from "./run/_spawn.ts";
import { join } from "node:path";
import { type ClassifiedError, classifyError } from "./sqlite/_classify.ts";
import { defaultDriver, loadDriver } from "./sqlite/_load.ts";
import { registerRun } from "./run/_active_runs.ts";
import {
  type OperationOf,
  OutcomeTable,
  outcomeTableShape,
  unpackOutcomes,
} from "./host/_outcome_codec.ts";
import {
  type Affinity,
  affinityOf,
  NUMERIC_TEXT,
  readNewRows,
  StoredFingerprints,
} from "./_fingerprint.ts";
import { releaseDeadHost, releaseDeadTicket } from "./host/_queue.ts";
import { unfinishedMessage } from "./run/_unfinished.ts";
import { runDirPrefix, sweepStaleTempDirs } from "./_temp_dirs.ts";
import {
  checkJournalMode,
  type Connection,
  HELPER_BUSY_TIMEOUT_MS,
  journalModeOf,
  openConnection,
  quoteIdent,
  sqliteVersion,
} from "./sqlite/_connection.ts";
import {
  DatabaseError,
  DeadlineError,
  RunAbortedError,
  type UnfinishedWriter,
} from "./errors.ts";
import type { JournalMode } from "./fixture.ts";
import {
  type HammerPlan,
  PROGRESS_INTERVAL_MS,
  type RunSettings,
} from "./plan.ts";
import { resolvePlan } from "./_resolve_plan.ts";
import {
  type Baseline,
  buildReport,
  type HostStatus,
  type HostSummary,
  type Outcome,
  type Report,
} from "./report/report.ts";
import { type Row, toSqlValue } from "./table.ts";
import { taskFunction } from "./host/_writer.ts";
import { invalid } from "./_validate.ts";

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

interface Prepared {
  baseline: Baseline;
  journalMode: JournalMode;
  sqliteVersion: string;
}

function checkColumns(columns: ColumnInfo[], settings: RunSettings): void {
  const names = new Set(columns.map((c) => c.name));
  for (const column of settings.columns) {
    if (!names.has(column)) {
      throw invalid(
        "rows",
        `"${column}" is not a column of ${settings.table} (its columns: ${
          [...names].join(", ")
        })`,
        TypeError,
        { reason: "not-a-column", column, table: settings.table },
      );
    }
  }
  for (const c of columns) {
    if (
      c.notNull && !c.hasDefault && !c.primaryKey &&
      !settings.columns.includes(c.name)
    ) {
      throw invalid(
        "rows",
        `they lack column "${c.name}" of ${settings.table}, which is NOT NULL without a default`,
        TypeError,
        { reason: "missing-column", column: c.name, table: settings.table },
      );
    }
  }
}

function prepareCounter(conn: Connection, settings: RunSettings): void {
  const table = quoteIdent(settings.table);
  conn.prepare(
    `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)`,
  ).run();
  const names = requireTable(conn, settings.table, settings.path).map((c) =>
    c.name
  );
  if (!names.includes("id") || !names.includes("n")) {
    throw invalid(
      "table",
      `${settings.table} has no counter columns id and n (its columns: ${
        names.join(", ")
      })`,
    );
  }
  conn.prepare(`INSERT OR IGNORE INTO ${table} (id, n) VALUES (1, 0)`).run();
}

/** Whether `table` is a STRICT table (SQLite 3.37+; false before). */
function isStrict(conn: Connection, table: string): boolean {
  try {
    const row = conn.prepare(
      "SELECT strict FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE",
    ).get(table) as { strict?: number } | undefined;
    return Number(row?.strict ?? 0) === 1;
  } catch {
    return false;
  }
}

/**
 * The rowids the rows give themselves (in `column`, the rowid alias) at or
 * below `maxRowid` and free now: where the run's rows may land besides
 * above `maxRowid`.
 */
function freeLowKeys(
  conn: Connection,
  table: string,
  rows: readonly Row[],
  column: string,
  maxRowid: number,
): number[] {
  const keys = new Set<number>();
  for (const row of rows) {
    const value = row[column];
    // As SQLite takes it for an INTEGER PRIMARY KEY: "9.0" and "1e1" too.
    const key = typeof value === "number" ? value : typeof value === "bigint" ||
        (typeof value === "string" && NUMERIC_TEXT.test(value))
      ? Number(value)
      : NaN;
    if (Number.isSafeInteger(key) && key <= maxRowid) keys.add(key);
  }
  if (keys.size === 0) return [];
  const taken = new Set(
    (conn.prepare(
      `SELECT rowid AS r FROM ${
        quoteIdent(table)
      } WHERE rowid IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify([...keys])) as { r: number }[]).map((r) =>
      Number(r.r)
    ),
  );
  return [...keys].filter((key) => !taken.has(key));
}

/** What the run learns of the table before anything is written. */
interface Inspected {
  /** An insert run's columns' affinities, in `settings.columns` order. */
  affinities: Affinity[];
  /** The table's rowid alias (its sole INTEGER PRIMARY KEY), if the rows give it. */
  rowidColumn: string | null;
}

/**
 * Checks the table and that the database can be written, writing nothing:
 * a run that stops here leaves the database as it was.
 */
function inspectDatabase(conn: Connection, settings: RunSettings): Inspected {
  let affinities: Affinity[] = [];
  let rowidColumn: string | null = null;
  if (settings.workload === "insert") {
    const columns = requireTable(conn, settings.table, settings.path);
    try {
      conn.prepare(`SELECT rowid FROM ${quoteIdent(settings.table)} LIMIT 0`)
        .all();
    } catch {
      throw invalid(
        "table",
        `"${settings.table}" has no rowid (a WITHOUT ROWID table or a view); dbhammer finds each written row by the rowid its insert returned`,
      );
    }
    checkColumns(columns, settings);
    const strict = isStrict(conn, settings.table);
    affinities = settings.columns.map((name) =>
      affinityOf(columns.find((c) => c.name === name)!.type, strict)
    );
    const keys = columns.filter((c) => c.primaryKey);
    if (keys.length === 1 && keys[0].type.toUpperCase() === "INTEGER") {
      if (settings.columns.includes(keys[0].name)) rowidColumn = keys[0].name;
    }
  }
  // Refuse a database nobody can write before any writer is spawned. A busy
  // error only means someone else is writing right now: not our concern.
  try {
    conn.prepare("BEGIN IMMEDIATE").run();
    try {
      // A write, rolled back: a read-only connection fails only at a write.
      conn.prepare("CREATE TABLE dbhammer_write_probe (x)").run();
    } finally {
      conn.prepare("ROLLBACK").run();
    }
  } catch (error) {
    if (classifyError(error).outcome === "error") {
      throw databaseError(
        settings.path,
        "write to database",
        error,
        settings.busyTimeoutMs,
      );
    }
  }
  return { affinities, rowidColumn };
}

/**
 * What the run changes before it starts (the journal mode, the workload's
 * own tables), then the baseline it is measured against.
 */
function applyDatabase(
  conn: Connection,
  settings: RunSettings,
  inspected: Inspected,
  rows: readonly Row[],
): Prepared {
  // WAL lives in the file: switch it here, once, before any writer opens.
  const current = journalModeOf(conn);
  if (
    settings.journalMode !== null &&
    (settings.journalMode === "wal") !== (current === "wal")
  ) {
    try {
      conn.prepare(`PRAGMA journal_mode = ${settings.journalMode}`).get();
    } catch (error) {
      const wrapped = databaseError(
        settings.path,
        "switch the journal mode of",
        error,
        settings.busyTimeoutMs,
      );
      if (wrapped instanceof DatabaseError && wrapped.problem === "locked") {
        throw new DatabaseError(
          `Cannot switch ${settings.path} from journal_mode ${current} to ${settings.journalMode}: ${
            (error as Error).message
          } (leaving WAL needs the only open connection; pass the fixture itself, or close other connections)`,
          { path: settings.path, problem: "locked", cause: error },
        );
      }
      throw wrapped;
    }
  }
  if (settings.counter !== null) prepareCounter(conn, settings);
  if (settings.parentChildren !== null) {
    conn.exec(
      `CREATE TABLE IF NOT EXISTS parents (id INTEGER PRIMARY KEY, writer INTEGER, seq INTEGER);
       CREATE TABLE IF NOT EXISTS children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL, i INTEGER)`,
    );
  }
  const row = settings.task !== null ? { n: 0, m: 0 } : conn.prepare(
    `SELECT count(*) AS n, coalesce(max(rowid), 0) AS m FROM ${
      quoteIdent(settings.table)
    }`,
  ).get() as { n: number; m: number };
  const maxRowid = Number(row.m);
  const lowKeys = inspected.rowidColumn === null
    ? []
    : freeLowKeys(conn, settings.table, rows, inspected.rowidColumn, maxRowid);
  return {
    baseline: {
      rows: Number(row.n),
      maxRowid,
      counter: settings.counter === null ? null : readCounter(conn, settings),
      ...(lowKeys.length > 0 ? { lowKeys } : {}),
    },
    journalMode: (settings.journalMode ?? current) as JournalMode,
    sqliteVersion: sqliteVersion(conn),
  };
}

/**
 * Why host `hostId` could not set up, as an error: a {@linkcode DatabaseError}
 * where the database was the problem (locked for longer than set-up waits,
 * corrupt, read-only).
 */
function setupFailure(
  settings: RunSettings,
  hostId: number,
  error: ClassifiedError,
): Error {
  const message = `Writer host ${hostId} could not set up (load the driver${
    settings.task === null ? "" : " and the task module"
  }, open ${settings.path}): ${error.message}`;
  const problem = problemOf(error);
  if (problem === null) return new Error(message);
  const waited = Math.max(settings.busyTimeoutMs, HELPER_BUSY_TIMEOUT_MS);
  return new DatabaseError(
    problem === "locked"
      ? `${message} (another connection kept it locked for longer than the ${waited} ms set-up waits)`
      : message,
    { path: settings.path, problem, code: error.code },
  );
}

/** Loads a task module once here, so a bad one fails before any writer starts. */
async function checkTaskModule(specifier: string): Promise<void> {
  let module: Record<string, unknown>;
  try {
    module = await import(specifier);
  } catch (error) {
    throw new TypeError(
      `Invalid task module ${specifier}: it cannot be loaded: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  taskFunction(module, specifier);
}

function readCounter(conn: Connection, settings: RunSettings): number {
  const row = conn.prepare(
    `SELECT n FROM ${quoteIdent(settings.table)} WHERE id = 1`,
  ).get() as { n: number } | undefined;
  return Number(row?.n ?? 0);
}

function assign(
  plan: HammerPlan,
  settings: RunSettings,
  stored: StoredFingerprints,
): WriterAssignment[] {
  const writers: WriterAssignment[] = Array.from(
    { length: settings.writers },
    (_, id) => ({ id, operations: [], values: [] }),
  );
  if (plan.workload.kind !== "insert") {
    const count = settings.counter?.increments ?? settings.task?.operations ??
      settings.parentChildren?.operations ??
      0;
    for (const writer of writers) {
      for (let seq = 0; seq < count; seq++) {
        writer.operations.push({ seq, keys: [], fingerprints: [] });
      }
    }
    return writers;
  }
  const keysOf: number[][] = writers.map(() => []);
  const rows = plan.workload.rows;
  // Rows are dealt out to the writers like cards: row i goes to writer i % writers.
  for (let key = 0; key < rows.length; key++) {
    keysOf[key % settings.writers].push(key);
  }
  for (const writer of writers) {
    const keys = keysOf[writer.id];
    for (let i = 0; i < keys.length; i += settings.rowsPerTransaction) {
      const chunk = keys.slice(i, i + settings.rowsPerTransaction);
      // The values go to the host flat; the orchestrator keeps only what
      // recognises each row afterwards.
      const fingerprints = chunk.map((key) => {
        const row = settings.columns.map((c) => toSqlValue(rows[key][c]));
        for (const value of row) writer.values.push(value);
        return stored.of(row);
      });
      writer.operations.push({
        seq: writer.operations.length,
        keys: chunk,
        fingerprints,
      });
    }
  }
  return writers;
}

/** Longest a stopped run watches Worker heartbeats for a stuck thread. */
const STUCK_SAMPLE_MS = 500;

/**
 * The Worker hosts among `ids` whose heartbeat did not move while the run
 * watched: their thread is in a synchronous call. Returns as soon as every
 * heartbeat moved.
 */
async function stuckHosts(
  shared: SharedInts,
  ids: number[],
  writers: number,
): Promise<Set<number>> {
  const before = new Map(
    ids.map((id) => [id, shared.load(heartbeatSlot(id, writers))]),
  );
  const stuck = new Set(ids);
  for (let waited = 0; stuck.size > 0 && waited < STUCK_SAMPLE_MS;) {
    await delay(HEARTBEAT_MS);
    waited += HEARTBEAT_MS;
    for (const id of stuck) {
      if (shared.load(heartbeatSlot(id, writers)) !== before.get(id)) {
        stuck.delete(id);
      }
    }
  }
  return stuck;
}

/**
 * Whether a stuck, terminated Worker host is still in its call: true until
 * its heartbeat or any of its writers' progress moves (then it has returned,
 * and its termination takes effect).
 */
function stillStuck(
  shared: SharedInts,
  hostWriters: number[],
  writers: number,
  hostId: number,
): () => boolean {
  const snapshot = (): string =>
    [
      shared.load(heartbeatSlot(hostId, writers)),
      ...hostWriters.map((id) => {
        const p = readProgress(shared, id);
        return `${p.state}:${p.opIndex}`;
      }),
    ].join(",");
  const at = snapshot();
  return () => snapshot() === at;
}

/** "writer 3", "writers 1 and 4", "writers 1, 2 and 5". */
function writerList(ids: number[]): string {
  if (ids.length === 1) return `writer ${ids[0]}`;
  return `writers ${ids.slice(0, -1).join(", ")} and ${ids.at(-1)}`;
}

/** How long a run waits for stopped hosts' locks to be released. */
const LOCK_RELEASE_WAIT_MS = 2000;
/** How often, and at most how long, a run waits for ended hosts to stop. */
const QUIESCE_STEP_MS = 25;
const QUIESCE_MAX_MS = 2000;
/** Longest wait for a Worker blocked in SQLite's busy handler to return. */
const QUIESCE_SQLITE_MAX_MS = 30_000;
/**
 * How long the write lock must stay free before no Worker is taken to be
 * blocked in SQLite's busy handler: longer than its longest sleep (100 ms).
 */
const LOCK_FREE_QUIET_MS = 300;

/** What the orchestrator reads from the database once the hosts are gone. */
interface AfterRun {
  lockFree: boolean;
  counterAfter?: number;
}

/**
 * Settles `unknown` operations against the database: an insert whose rows
 * are there (and claimed by no acknowledged write) committed; a counter's
 * increments are settled when the final value leaves one answer.
 */
function resolveUnknowns(
  conn: Connection,
  settings: RunSettings,
  baseline: Baseline,
  outcomes: Outcome[],
  counterAfter: number | undefined,
): void {
  const unknown = outcomes.filter((o) => o.outcome === "unknown");
  if (unknown.length === 0) return;
  const ok = outcomes.filter((o) => o.outcome === "ok");
  if (settings.counter !== null) {
    const applied = ((counterAfter ?? 0) - (baseline.counter ?? 0)) /
        settings.counter.by - ok.length;
    const resolved = applied === 0
      ? "absent"
      : applied === unknown.length
      ? "present"
      : null;
    for (const o of unknown) o.resolved = resolved;
    return;
  }
  // A custom task's effects are its own: nothing to look for.
  if (settings.workload !== "insert") return;
  const claimed = new Set(ok.flatMap((o) => o.rowids));
  const free = new Map<string, number[]>();
  for (
    const row of readNewRows(
      conn,
      settings.table,
      settings.columns,
      baseline.maxRowid,
      baseline.lowKeys,
    )
  ) {
    if (claimed.has(row.rowid)) continue;
    free.set(row.fingerprint, [
      ...(free.get(row.fingerprint) ?? []),
      row.rowid,
    ]);
  }
  for (const o of unknown) {
    const found = o.fingerprints.map((fp) => free.get(fp)?.[0]);
    if (found.every((rowid) => rowid !== undefined)) {
      o.fingerprints.forEach((fp) => free.get(fp)?.shift());
      o.rowids = found as number[];
      o.resolved = "present";
    } else if (found.every((rowid) => rowid === undefined)) {
      o.resolved = "absent";
    }
  }
}

/**
 * Whether a fresh connection can take the write lock (waiting, bounded, for
 * the threads of terminated hosts to wind down and release theirs), the
 * counter's final value, and what became of `unknown` operations.
 */
async function afterRun(
  settings: RunSettings,
  baseline: Baseline,
  outcomes: Outcome[],
): Promise<AfterRun> {
  const conn = openConnection(settings.path, { busyTimeoutMs: 0 });
  try {
    const started = now();
    let lockFree = false;
    for (;;) {
      try {
        conn.prepare("BEGIN IMMEDIATE").run();
        conn.prepare("ROLLBACK").run();
        lockFree = true;
        break;
      } catch (error) {
        if (classifyError(error).outcome === "error") throw error;
        if (now() - started > LOCK_RELEASE_WAIT_MS) break;
        await delay(5);
      }
    }
    conn.exec(`PRAGMA busy_timeout = ${LOCK_RELEASE_WAIT_MS}`);
    const counterAfter = settings.counter === null
      ? undefined
      : readCounter(conn, settings);
    resolveUnknowns(conn, settings, baseline, outcomes, counterAfter);
    return { lockFree, counterAfter };
  } finally {
    conn.close();
  }
}

interface HostState {
  id: number;
  handle: HostHandle;
  writers: number[];
  status: HostStatus | "starting" | "running";
  error: string | null;
  /** Whether its writer reached the plan's crash point. */
  crashPoint: boolean;
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
  if (resolved.task !== null) await checkTaskModule(resolved.task.module);
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
 * Refuses a `fileLock` path whose file cannot be created, before anything is
 * spawned: every operation would fail with an error that is no lock error.
 * A lock file this check creates is removed again.
 */
function checkLockFile(strategy: RunSettings["strategy"]): void {
  const path = strategy.fileLock?.path;
  if (path === undefined || path === null) return;
  let existed = true;
  try {
    Deno.statSync(path);
  } catch {
    existed = false;
  }
  try {
    Deno.openSync(path, { read: true, write: true, create: true }).close();
  } catch (error) {
    throw invalid(
      "fileLock path",
      `${path} (the lock file cannot be created: ${(error as Error).message})`,
      RangeError,
      { cause: error },
    );
  }
  if (!existed) Deno.removeSync(path);
}

/** Shared integers and the start barrier of one run. */
interface Coordination {
  shared: SharedInts;
  /** Worker mode: the memory behind `shared`. */
  buffer: SharedArrayBuffer | null;
  /** Process mode: the files behind `shared` and the barrier. */
  sharedPath: string | null;
  barrierPath: string | null;
  /** Opens the barrier: every host starts at once. */
  open(): void;
  /** Removes what the run created. */
  dispose(): Promise<void>;
}

/** A run's files on disk (process mode): known as soon as they exist. */
interface RunFiles {
  dir: string | null;
  removed: boolean;
}

/** Removes a run's files at once, for a process about to exit. */
function removeRunFilesSync(files: RunFiles): void {
  if (files.dir === null || files.removed) return;
  files.removed = true;
  Deno.removeSync(files.dir, { recursive: true });
}

async function coordinate(
  settings: RunSettings,
  files: RunFiles,
): Promise<Coordination> {
  if (settings.mode === "worker") {
    const buffer = allocateShared(settings.writers);
    const shared = new AtomicInts(buffer);
    return {
      shared,
      buffer,
      sharedPath: null,
      barrierPath: null,
      open(): void {
        shared.store(GO, 1);
        Atomics.notify(shared.array, GO);
      },
      dispose: () => Promise.resolve(),
    };
  }
  const dir = await Deno.makeTempDir({ prefix: runDirPrefix() });
  files.dir = dir;
  const sharedPath = join(dir, "shared");
  const barrierPath = join(dir, "barrier");
  const shared = FileInts.create(sharedPath, sharedLength(settings.writers));
  await Deno.writeFile(barrierPath, new Uint8Array());
  // Held exclusively until the start; each host waits for a shared lock.
  let barrier: Deno.FsFile | null = await Deno.open(barrierPath, {
    read: true,
    write: true,
  });
  barrier.lockSync(true);
  return {
    shared,
    buffer: null,
    sharedPath,
    barrierPath,
    open(): void {
      shared.store(GO, 1);
      barrier?.unlockSync();
    },
    async dispose(): Promise<void> {
      barrier?.close();
      barrier = null;
      shared.close();
      if (!files.removed) await Deno.remove(dir, { recursive: true });
      files.removed = true;
    },
  };
}

async function run(
  base: RunSettings,
  assignments: WriterAssignment[],
  plan: HammerPlan,
  prepare: () => Prepared,
): Promise<Report> {
  const { signal } = plan;
  sweepStaleTempDirs();
  // Undone at once if the process must exit now: its hosts killed and its
  // files removed (this run's own handles stay open until it ends).
  const files: RunFiles = { dir: null, removed: false };
  const hosts: HostState[] = [];
  const unregister = registerRun(() => {
    for (const host of hosts) host.handle.kill();
    removeRunFilesSync(files);
  }, { handleSignals: plan.handleSignals ?? true });
  let coordination: Coordination | null = null;
  try {
    coordination = await coordinate(base, files);
    // Aborted while the run's files were made: nothing was started, and
    // nothing written to the database.
    signal?.throwIfAborted();
    const prepared = prepare();
    const settings: RunSettings = {
      ...base,
      journalMode: prepared.journalMode,
    };
    return await orchestrate(
      settings,
      assignments,
      prepared,
      coordination,
      plan,
      hosts,
    );
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

function orchestrate(
  settings: RunSettings,
  assignments: WriterAssignment[],
  prepared: Prepared,
  coordination: Coordination,
  plan: HammerPlan,
  hosts: HostState[],
): Promise<Report> {
  const { signal, onProgress } = plan;
  const { shared } = coordination;
  const intended = assignments.reduce((n, w) => n + w.operations.length, 0);
  const outcomes: Outcome[] = [];
  const operationOf: OperationOf = (writer, seq) =>
    assignments[writer].operations[seq];
  // Worker mode: outcomes wait in shared memory until the hosts have ended.
  const tableShape = settings.mode === "worker"
    ? outcomeTableShape(assignments)
    : null;
  const table = tableShape === null ? null : new OutcomeTable(tableShape);
  /** By host: the texts of the messages in its rows of the table. */
  const texts = new Map<number, Map<number, string>>();
  let startedAt = 0;
  let ready = 0;
  let settled = false;
  let sqliteVersionSeen = prepared.sqliteVersion;

  return new Promise<Report>((resolve, reject) => {
    const stopHost = (
      host: HostState,
      status: HostStatus,
      error: string | null,
    ): void => {
      if (
        host.status === "done" || host.status === "crashed" ||
        host.status === "stopped"
      ) return;
      host.status = status;
      host.error = error;
      // Before the kill: a Worker's thread inside a call when it is
      // terminated goes on for a moment, and must see it has ended.
      if (status !== "done" && shared instanceof AtomicInts) {
        shared.store(killedSlot(host.id, settings.writers), 1);
      }
      host.handle.kill();
      // A host that ended in a writer's turn of the queue never passes it
      // on, nor the turn of the ticket it was waiting with: pass them for
      // the host once its handle is closed and its writers stand still (a
      // Worker's thread may finish the call it was in, and the transaction
      // around it, before it sees it has ended).
      if (
        settings.strategy.queue && shared instanceof AtomicInts &&
        status !== "done"
      ) {
        const { array } = shared;
        deadHosts.push(host.handle.closed.then(async () => {
          await sqliteWaiters(host.writers);
          await standStill(host.writers);
          releaseDeadHost(array, settings.writers, host.id);
          await releaseDeadTicket(array, settings.writers, host.id);
        }));
      }
    };
    /**
     * Waits for writers of ended hosts that may be blocked in SQLite's own
     * busy handler: a Worker there cannot be stopped until the handler
     * returns, and may commit then. It returns once the write lock has been
     * free for longer than the handler's longest sleep (100 ms), so that any
     * writer still blocked would have taken it, or after the busy timeout.
     */
    const sqliteWaiters = async (writers: number[]): Promise<void> => {
      const blockedInSqlite = settings.mode === "worker" &&
        settings.busyWait === "sqlite" && settings.busyTimeoutMs > 0 &&
        writers.some((id) => {
          const state = readProgress(shared, id).state;
          return state === WriterState.acquiring ||
            state === WriterState.committing;
        });
      if (!blockedInSqlite) return;
      const bound = Math.min(
        settings.busyTimeoutMs + 250,
        QUIESCE_SQLITE_MAX_MS,
      );
      const conn = openConnection(settings.path, { busyTimeoutMs: 0 });
      try {
        const started = now();
        let lastTaken = started;
        while (now() - started < bound) {
          try {
            conn.prepare("BEGIN IMMEDIATE").run();
            conn.prepare("ROLLBACK").run();
          } catch (error) {
            if (classifyError(error).outcome === "error") return;
            lastTaken = now();
          }
          if (now() - lastTaken >= LOCK_FREE_QUIET_MS) return;
          await delay(QUIESCE_STEP_MS);
        }
      } finally {
        conn.close();
      }
    };
    /** Hand-offs of the queue for hosts that ended in it. */
    const deadHosts: Promise<void>[] = [];

    /**
     * Resolves once the progress of `writers` has not changed for one step,
     * or after `QUIESCE_MAX_MS`.
     */
    const standStill = async (writers: number[]): Promise<void> => {
      const snapshot = (): string =>
        writers.map((id) => {
          const p = readProgress(shared, id);
          return `${p.state}:${p.opIndex}`;
        }).join(",");
      let last = snapshot();
      for (let waited = 0; waited < QUIESCE_MAX_MS;) {
        await delay(QUIESCE_STEP_MS);
        waited += QUIESCE_STEP_MS;
        const current = snapshot();
        if (current === last) return;
        last = current;
      }
    };
    // Every host gone: Workers terminated, processes exited, pipes closed.
    // A terminated Worker's thread may still run a few operations before it
    // stops, so wait until no writer of an ended host moves any more: only
    // then does the shared progress say which operations ran.
    const allClosed = async (): Promise<void> => {
      await Promise.all(hosts.map((h) => h.handle.closed));
      await Promise.all(deadHosts);
      const moving = assignments.filter((w) =>
        hosts.some((h) => h.status !== "done" && h.writers.includes(w.id))
      );
      if (moving.length === 0) return;
      const ids = moving.map((w) => w.id);
      await sqliteWaiters(ids);
      await standStill(ids);
    };

    // Times from the hosts' clock are made relative to the start.
    const addOutcome = (o: Outcome): void => {
      o.startMs = o.startMs === null ? null : o.startMs - startedAt;
      o.endMs = o.endMs === null ? null : o.endMs - startedAt;
      o.lockAtMs = o.lockAtMs === null ? null : o.lockAtMs - startedAt;
      o.commitAtMs = o.commitAtMs === null ? null : o.commitAtMs - startedAt;
      outcomes.push(o);
    };

    // Worker mode: what the hosts wrote to the outcome table, every
    // operation that its writer's progress counts as ended. Then, in either
    // mode, the operations that never reported: in flight when their host
    // ended, or never started.
    const textOf = (writer: number, id: number): string =>
      texts.get(writer % settings.threads)?.get(id) ??
        "(the text of this error was lost with its host)";
    const collectRest = (): void => {
      const seen = new Set(outcomes.map((o) => `${o.writer}:${o.seq}`));
      for (const writer of assignments) {
        const progress = readProgress(shared, writer.id);
        for (const [index, op] of writer.operations.entries()) {
          if (table !== null && index < progress.opIndex) {
            addOutcome(table.read(writer.id, op.seq, operationOf, textOf));
            continue;
          }
          if (seen.has(`${writer.id}:${op.seq}`)) continue;
          const inFlight = index === progress.opIndex &&
            inTransaction(progress.state);
          // A process's outcomes travel in batches: one that ended before its
          // host died may never have arrived. It may have committed. (The
          // writer's progress index counts the operations that ended; in
          // Worker mode the outcome table holds all of those.)
          const unreported = index < progress.opIndex;
          // Between two tries of `retry`: it started, failed with a lock
          // error, and was rolled back. A lock error, not a skip.
          const retrying = index === progress.opIndex ? progress.retry : null;
          outcomes.push({
            writer: writer.id,
            seq: op.seq,
            keys: op.keys,
            outcome: inFlight || unreported
              ? "unknown"
              : retrying !== null
              ? retrying.outcome
              : "skipped",
            code: null,
            message: inFlight
              ? "in flight when its host ended: it may or may not have committed"
              : unreported
              ? "ended, but its host died before reporting it: it may or may not have committed"
              : retrying !== null
              ? "lock error, and its host ended while it waited to retry"
              : "not started: its host ended first",
            attempts: retrying !== null
              ? retrying.attempts
              : inFlight || unreported
              ? 1
              : 0,
            startMs: null,
            endMs: null,
            lockWaitMs: 0,
            txMs: 0,
            lockAtMs: null,
            commitAtMs: null,
            commitSeq: null,
            rowids: [],
            read: null,
            wrote: null,
            resolved: null,
            fingerprints: op.fingerprints,
          });
        }
      }
    };

    // The duration runs to the last operation's end, or to `stoppedAt` for a
    // run stopped at its deadline.
    const finishReport = (
      stoppedAt: number | null,
      after: AfterRun,
    ): Report => {
      const lastEnd = outcomes.reduce((m, o) => Math.max(m, o.endMs ?? 0), 0);
      return buildReport({
        settings,
        sqliteVersion: sqliteVersionSeen,
        startedAtMs: startedAt === 0 ? Date.now() : startedAt,
        baseline: prepared.baseline,
        outcomes,
        hosts: hosts.map((h): HostSummary => ({
          host: h.id,
          writers: h.writers,
          status: h.status === "starting" || h.status === "running"
            ? "stopped"
            : h.status,
          ended: h.status === "done"
            ? "done"
            : h.status === "crashed"
            ? (h.crashPoint ? "crash-injection" : "crash")
            : "stopped",
          error: h.error,
        })),
        durationMs: stoppedAt === null
          ? lastEnd
          : startedAt === 0
          ? 0
          : stoppedAt - startedAt,
        counterAfter: after.counterAfter,
        lockFreeAfterRun: after.lockFree,
      });
    };

    /**
     * Marks the run settled, once: no deadline and no abort after this.
     * Whether this call did it.
     */
    const settleOnce = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(deadline);
      clearInterval(progress);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };

    const settle = (): void => {
      if (
        settled ||
        hosts.some((h) => h.status === "starting" || h.status === "running")
      ) return;
      // The last progress is the writers' final count.
      if (progress !== undefined) reportProgress();
      settleOnce();
      // Every host has ended: nothing waits for the queue any more.
      shared.store(STOP, 1);
      allClosed()
        .then(() => {
          collectRest();
          return afterRun(settings, prepared.baseline, outcomes);
        })
        .then((after) => resolve(finishReport(null, after)), reject);
    };

    const abort = (error: Error): void => {
      if (!settleOnce()) return;
      for (const host of hosts) stopHost(host, "stopped", error.message);
      // After every host is marked ended: see the deadline below.
      shared.store(STOP, 1);
      allClosed().then(() => reject(error), reject);
    };

    /**
     * Stops every host at once, at the deadline or when `signal` aborts:
     * rejects with the error `ended` makes of what was recorded.
     */
    const stopAll = async (
      why: string,
      hostWhy: string,
      ended: (
        message: string,
        report: Report,
        unfinished: UnfinishedWriter[],
      ) => Error,
    ): Promise<void> => {
      if (!settleOnce()) return;
      const active = hosts.filter((h) =>
        h.status === "starting" || h.status === "running"
      );
      // Deno cannot terminate a Worker inside a synchronous call: find those
      // whose event loop stands still before they are told to stop.
      const stuck = shared instanceof AtomicInts
        ? await stuckHosts(shared, active.map((h) => h.id), settings.writers)
        : new Set<number>();
      const unfinished: UnfinishedWriter[] = [];
      const inTask = (state: number): boolean =>
        settings.task !== null &&
        (state === WriterState.running || state === WriterState.holding);
      const stuckTasks: number[] = [];
      const awaitingTasks: number[] = [];
      for (const host of active) {
        for (const id of host.writers) {
          const progress = readProgress(shared, id);
          if (progress.state === WriterState.done) continue;
          if (settings.mode === "worker" && inTask(progress.state)) {
            (stuck.has(host.id) ? stuckTasks : awaitingTasks).push(id);
          }
          unfinished.push({
            writer: id,
            opIndex: progress.opIndex,
            operations: assignments[id].operations.length,
            state: describeState(progress.state),
          });
        }
      }
      unfinished.sort((a, b) => a.writer - b.writer);
      for (const id of stuck) {
        countWhileStuck(
          stillStuck(shared, hosts[id].writers, settings.writers, id),
        );
      }
      for (const host of hosts) stopHost(host, "stopped", hostWhy);
      // Only now, when every host is marked ended: a writer that sees the
      // stop then sees its host ended too, and records nothing more. Stored
      // first, a writer waiting for its queue turn could wake in between
      // (while another host is being terminated) and record a lock error
      // for an operation the report must give as not started.
      shared.store(STOP, 1);
      const stoppedAt = now();
      const notes: string[] = [];
      if (stuckTasks.length > 0) {
        notes.push(
          `The task of ${
            writerList(stuckTasks)
          } is stuck in a synchronous call, where a Worker cannot be stopped: its thread (and this process) runs on until the call returns, and liveHosts() counts it; run tasks that may block with mode: "process", whose hosts are killed`,
        );
      }
      if (awaitingTasks.length > 0) {
        notes.push(
          `The task of ${
            writerList(awaitingTasks)
          } was awaiting a promise that had not settled; its Worker was stopped`,
        );
      }
      const message = unfinishedMessage(why, unfinished, notes);
      try {
        await allClosed();
        collectRest();
        const after = await afterRun(settings, prepared.baseline, outcomes);
        reject(ended(message, finishReport(stoppedAt, after), unfinished));
      } catch (error) {
        reject(error);
      }
    };

    let progress: ReturnType<typeof setInterval> | undefined;
    const reportProgress = (): void => {
      try {
        onProgress?.({
          elapsedMs: now() - startedAt,
          committed: shared.load(COMMITS) - shared.load(UNCOMMITTED),
          intended,
          lockErrors: shared.load(LOCK_ERRORS),
        });
      } catch (error) {
        abort(
          error instanceof Error ? error : new Error(String(error)),
        );
      }
    };

    const deadline = setTimeout(
      () =>
        stopAll(
          `passed its deadline of ${settings.deadlineMs} ms`,
          `stopped at the deadline of ${settings.deadlineMs} ms`,
          (message, report, unfinished) =>
            new DeadlineError(message, report, unfinished),
        ),
      settings.deadlineMs,
    );
    const onAbort = (): Promise<void> =>
      stopAll(
        "was aborted",
        "the run was aborted",
        (message, report, unfinished) =>
          new RunAbortedError(message, report, unfinished, signal?.reason),
      );
    // `run` looked at the signal after its last await: none came since.
    signal?.addEventListener("abort", onAbort, { once: true });

    const onMessage = (host: HostState, message: HostMessage): void => {
      // A text can arrive while the run settles; the rows are read after.
      if (message.type === "text") {
        let map = texts.get(host.id);
        if (map === undefined) texts.set(host.id, map = new Map());
        map.set(message.id, message.text);
        return;
      }
      if (settled) return;
      switch (message.type) {
        case "ready":
          sqliteVersionSeen = message.sqliteVersion;
          host.status = "running";
          if (++ready === hosts.length) {
            startedAt = now();
            coordination.open();
            if (onProgress !== undefined) {
              progress = setInterval(reportProgress, PROGRESS_INTERVAL_MS);
            }
          }
          break;
        case "setup-failed":
          abort(setupFailure(settings, host.id, message.error));
          break;
        case "outcomes":
          for (const o of unpackOutcomes(message.outcomes, operationOf)) {
            addOutcome(o);
          }
          break;
        case "crash-point":
          host.crashPoint = true;
          if (settings.crash?.how === "kill") {
            stopHost(
              host,
              "crashed",
              `killed by crash injection: writer ${message.writer} after ${settings.crash.afterOps} operations${
                settings.crash.inTransaction ? ", inside a transaction" : ""
              }`,
            );
            settle();
          }
          break;
        case "exit":
          onFailure(host, `code in the host called Deno.exit(${message.code})`);
          break;
        case "uncaught":
          onFailure(host, message.message);
          break;
        case "done":
          stopHost(host, "done", null);
          settle();
          break;
      }
    };

    const onFailure = (host: HostState, reason: string): void => {
      if (settled) return;
      if (host.status === "starting") {
        abort(
          new Error(
            `Writer host ${host.id} failed before the start: ${reason}`,
          ),
        );
        return;
      }
      stopHost(host, "crashed", reason);
      settle();
    };

    const spawn = settings.mode === "process"
      ? spawnProcessHost
      : spawnWorkerHost;
    try {
      for (let id = 0; id < settings.threads; id++) {
        const writers = assignments.filter((w) =>
          w.id % settings.threads === id
        );
        const host: HostState = {
          id,
          writers: writers.map((w) => w.id),
          status: "starting",
          error: null,
          crashPoint: false,
          handle: null as unknown as HostHandle,
        };
        host.handle = spawn(id, {
          message: (message) => onMessage(host, message),
          failure: (reason) => onFailure(host, reason),
        });
        hosts.push(host);
        host.handle.start({
          type: "init",
          hostId: id,
          settings,
          shared: coordination.buffer,
          sharedPath: coordination.sharedPath,
          barrierPath: coordination.barrierPath,
          outcomeTable: tableShape,
          // Keys and fingerprints stay here: the host does not need them.
          writers: writers.map(hostWriter),
        });
      }
    } catch (error) {
      // E.g. no permission to start Workers: end the ones already started.
      abort(
        new Error(`Cannot start writer hosts: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  });
}
