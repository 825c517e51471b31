/**
 * The probe: ramp the number of writers with everything else fixed and find
 * the first level where lock errors or lost writes appear.
 *
 * @module
 */
import { acknowledgement } from "./_acknowledged.ts";
import { generateRows } from "./generate_rows.ts";
import { hammer } from "./hammer.ts";
import {
  type CounterWorkload,
  type HammerPlan,
  MAX_WRITERS,
  type ParentChildrenWorkload,
  type TaskWorkload,
} from "./plan.ts";
import type { Report } from "./report/report.ts";
import type { Row } from "./table.ts";
import { integer, invalid, rejectUnknownOptions } from "./_validate.ts";

/**
 * Inserts for a probe: the same as `hammer`'s insert workload, except that
 * the rows may depend on the level.
 */
export interface ProbeInsertWorkload {
  /** The workload kind. */
  kind: "insert";
  /** Table the rows go into. */
  table: string;
  /**
   * The rows of each level: an array (the same rows at every level, dealt out
   * to its writers) or a function of the level's writer count.
   *
   * @default {one row `{ msg: <UUID> }` per writer (`generateRows(writers)`)}
   */
  rows?: readonly Row[] | ((writers: number) => readonly Row[]);
}

/** What a probe's writers do at every level. */
export type ProbeWorkload =
  | ProbeInsertWorkload
  | CounterWorkload
  | TaskWorkload
  | ParentChildrenWorkload;

/** A run's plan without its writer count, which the probe ramps. */
export interface ProbePlan extends Omit<HammerPlan, "workload" | "writers"> {
  /** What the writers do. */
  workload: ProbeWorkload;
}

/** Which writer counts to try. */
export interface ProbeOptions {
  /**
   * Writers of the first level; levels double from here up to `to`.
   *
   * @default {1}
   */
  from?: number;
  /**
   * Writers of the last level (always tried).
   *
   * @default {512}
   */
  to?: number;
  /** An explicit list of writer counts, instead of `from`/`to`. */
  levels?: readonly number[];
  /**
   * Stop after the first level with lock errors, other errors or lost writes.
   *
   * @default {false}
   */
  stopAtFirstFailure?: boolean;
  /** Called before each level runs (for progress output). */
  onLevelStart?: (writers: number) => void;
  /** Called with each level's result as soon as it ends. */
  onLevel?: (level: ProbeLevel) => void;
}

/** One level of a probe. */
export interface ProbeLevel {
  /** Contending writers. */
  writers: number;
  /** Hosts (Workers or processes) they ran on. */
  threads: number;
  /** Operations intended. */
  intended: number;
  /** Operations acknowledged. */
  ok: number;
  /** `SQLITE_BUSY` and `SQLITE_LOCKED` failures. */
  lockErrors: number;
  /** Other failures. */
  otherErrors: number;
  /**
   * Acknowledged writes missing from the database (inserts: rows not there
   * as written; counter: lost updates); `null` for workloads it cannot check.
   */
  lost: number | null;
  /** Acknowledged operations per second. */
  commitsPerSec: number;
  /** 99th percentile latency of acknowledged operations, in ms. */
  p99Ms: number | null;
  /** Wall time of the level's run, in ms. */
  durationMs: number;
  /** Whether lock errors, other errors or lost writes appeared. */
  failed: boolean;
}

/** What a probe found. */
export interface ProbeResult {
  /** The fixed settings, as the first level ran them. */
  settings: {
    journalMode: string | null;
    synchronous: string;
    busyTimeoutMs: number;
    strategy: string;
    transaction: string;
    mode: "worker" | "process";
    driverName: string | null;
    workload: string;
  };
  /** Every level tried, in order. */
  levels: ProbeLevel[];
  /** Writers of the first level with a lock error, or `null`. */
  firstLockError: number | null;
  /** Writers of the first level with a lost write, or `null`. */
  firstLost: number | null;
  /**
   * The first level with an error other than a lock error (a constraint, a
   * task that throws, …): its writers and the first such error's message.
   */
  firstOtherError: { writers: number; message: string } | null;
  /** Writers of the first level with any of these, or `null`. */
  firstFailure: number | null;
  /** The answer in one sentence. */
  answer: string;
}

/**
 * The writer counts from `from` doubling up to `to` (always included).
 *
 * @example The default ramp
 * ```ts
 * import { probeLevels } from "./probe.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(probeLevels(1, 20), [1, 2, 4, 8, 16, 20]);
 * ```
 */
export function probeLevels(from: number, to: number): number[] {
  const levels: number[] = [];
  for (let n = from; n < to; n *= 2) levels.push(n);
  levels.push(to);
  return levels;
}

function checkLevels(options: ProbeOptions): number[] {
  rejectUnknownOptions("probe", options, [
    "from",
    "to",
    "levels",
    "stopAtFirstFailure",
    "onLevelStart",
    "onLevel",
  ]);
  for (const name of ["onLevelStart", "onLevel"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw invalid(name, `expected a function, got ${typeof options[name]}`);
    }
  }
  if (options.levels !== undefined) {
    if (options.from !== undefined || options.to !== undefined) {
      throw new TypeError(
        "Invalid probe options: give levels or from/to, not both",
      );
    }
    if (!Array.isArray(options.levels) || options.levels.length === 0) {
      throw invalid(
        "levels",
        `${
          JSON.stringify(options.levels)
        } (expected a non-empty array of writer counts)`,
      );
    }
    const levels = options.levels.map((n, i) =>
      integer(`levels[${i}]`, n, 1, MAX_WRITERS)
    );
    levels.forEach((n, i) => {
      if (i > 0 && n <= levels[i - 1]) {
        throw invalid(
          "levels",
          `${JSON.stringify(levels)} (expected increasing writer counts)`,
          RangeError,
        );
      }
    });
    return levels;
  }
  const from = integer("from", options.from ?? 1, 1, MAX_WRITERS);
  if (options.to === undefined && from > 512) {
    throw invalid(
      "from",
      `${from} (above to, which is 512 unless given)`,
      RangeError,
    );
  }
  const to = integer("to", options.to ?? 512, from, MAX_WRITERS);
  return probeLevels(from, to);
}

function lostOf(plan: ProbePlan, report: Report): number | null {
  if (report.settings.workload.kind === "insert") {
    return acknowledgement(plan.db, report).lost.length;
  }
  return report.counter?.lost ?? null;
}

function sentence(result: Omit<ProbeResult, "answer">): string {
  const s = result.settings;
  const journal = s.journalMode === null
    ? "the file's journal"
    : `${s.journalMode.toUpperCase()} journal`;
  const strategy =
    s.strategy === "none" || s.strategy.startsWith("busyTimeout(")
      ? ""
      : `, strategy ${s.strategy}`;
  const context = `(busy timeout ${
    s.busyTimeoutMs === 0 ? "0" : `${s.busyTimeoutMs} ms`
  }, ${journal}${strategy})`;
  const last = result.levels.at(-1)?.writers ?? 0;
  if (result.firstFailure === null) {
    return `no lock errors and no lost writes up to ${last} writers ${context}`;
  }
  const parts: string[] = [];
  if (result.firstLockError !== null) {
    parts.push(`first lock error at ${result.firstLockError} writers`);
  }
  if (result.firstLost !== null) {
    parts.push(`first lost write at ${result.firstLost} writers`);
  }
  const other = result.firstOtherError;
  if (other !== null) {
    parts.push(
      `first other error at ${other.writers} writers (${other.message})`,
    );
  }
  return `${parts.join("; ")} ${context}`;
}

/**
 * Ramps the number of writers (1, 2, 4, … 512 by default) with everything
 * else in the plan fixed, runs each level with `hammer`, and reports per
 * level what happened and the first level where lock errors or lost writes
 * appear. Levels run one after another on the same database.
 *
 * @example How many one-row writers before "database is locked"?
 * ```ts
 * import { createTable, fixtureDb, probe } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const result = await probe(
 *   { db, workload: { kind: "insert", table: "messages" }, holdMs: 20 },
 *   { from: 1, to: 8 },
 * );
 * console.log(result.answer); // e.g. "first lock error at 2 writers (busy timeout 0, DELETE journal)"
 * ```
 *
 * @param plan A `hammer` plan without `writers`; insert rows may be omitted.
 * @param options Which writer counts to try.
 * @returns Every level's figures and the answer.
 * @throws {TypeError | RangeError} On a bad plan or bad levels, before any run.
 */
export async function probe(
  plan: ProbePlan,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  if (typeof plan !== "object" || plan === null) {
    throw invalid("plan", `${String(plan)}`);
  }
  if ("writers" in plan) {
    throw invalid(
      "plan",
      "writers is what probe() ramps; give levels or from/to instead",
    );
  }
  if (typeof options !== "object" || options === null) {
    throw invalid("probe options", `${String(options)}`);
  }
  const levels = checkLevels(options);
  const workload = plan.workload;
  if (workload?.kind === "insert") {
    // Checked here because rows are optional: a misspelt key would quietly
    // fall back to generated rows.
    rejectUnknownOptions("workload", workload, ["kind", "table", "rows"]);
  }
  const rowsFor = (writers: number): readonly Row[] => {
    if (workload?.kind !== "insert") return [];
    const rows = workload.rows;
    if (rows === undefined) return generateRows(writers);
    if (typeof rows === "function") return rows(writers);
    return rows;
  };
  if (
    workload?.kind === "insert" && Array.isArray(workload.rows) &&
    workload.rows.length < levels[levels.length - 1]
  ) {
    throw invalid(
      "rows",
      `${workload.rows.length} rows cannot keep ${
        levels[levels.length - 1]
      } writers busy (give at least one row per writer, or a function of the writer count)`,
      RangeError,
    );
  }
  const threads = plan.threads;
  const results: ProbeLevel[] = [];
  let first: Report | null = null;
  let firstLockError: number | null = null;
  let firstLost: number | null = null;
  let firstOtherError: ProbeResult["firstOtherError"] = null;
  for (const writers of levels) {
    options.onLevelStart?.(writers);
    const report = await hammer({
      ...plan,
      workload: workload?.kind === "insert"
        ? { kind: "insert", table: workload.table, rows: rowsFor(writers) }
        : workload,
      writers,
      threads: threads === undefined ? undefined : Math.min(threads, writers),
    } as HammerPlan);
    first ??= report;
    const lost = lostOf(plan, report);
    const level: ProbeLevel = {
      writers,
      threads: report.settings.threads,
      intended: report.intended,
      ok: report.ok,
      lockErrors: report.lockErrors,
      otherErrors: report.otherErrors,
      lost,
      commitsPerSec: report.commitsPerSec,
      p99Ms: report.latency?.p99Ms ?? null,
      durationMs: report.durationMs,
      failed: report.lockErrors > 0 || report.otherErrors > 0 ||
        (lost ?? 0) > 0,
    };
    results.push(level);
    if (firstLockError === null && level.lockErrors > 0) {
      firstLockError = writers;
    }
    if (firstLost === null && (lost ?? 0) > 0) firstLost = writers;
    if (firstOtherError === null && level.otherErrors > 0) {
      const error = report.outcomes.find((o) => o.outcome === "error");
      firstOtherError = { writers, message: error?.message ?? "error" };
    }
    options.onLevel?.(level);
    if (level.failed && options.stopAtFirstFailure) break;
  }
  const s = first!.settings;
  const partial: Omit<ProbeResult, "answer"> = {
    settings: {
      journalMode: s.journalMode,
      synchronous: s.synchronous,
      busyTimeoutMs: s.busyTimeoutMs,
      strategy: s.strategy.name,
      transaction: s.transaction,
      mode: s.mode,
      driverName: s.driverName,
      workload: s.workload.kind,
    },
    levels: results,
    firstLockError,
    firstLost,
    firstOtherError,
    firstFailure: results.find((l) => l.failed)?.writers ?? null,
  };
  return { ...partial, answer: sentence(partial) };
}
