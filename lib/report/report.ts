/**
 * What a run did: every operation's outcome, counts, latency, throughput, per
 * writer and per host, as plain JSON-serialisable data (`format.ts` writes it as text).
 *
 * @module
 */
import { codeName } from "../sqlite/_classify.ts";
import type { Baseline, Outcome, OutcomeKind, RunSettings } from "../plan.ts";

export type { Baseline, Outcome, OutcomeKind };
import denoJson from "../../deno.json" with { type: "json" };

/** The counter workload's result. */
export interface CounterSummary {
  /** Value before the run. */
  before: number;
  /** Value after the run. */
  after: number;
  /** `before` + the increments of every acknowledged operation. */
  expected: number;
  /** Increments lost: `(expected - after) / by` when positive. */
  lost: number;
}

/** What the lock strategy did over the whole run. */
export interface StrategySummary {
  /** The strategy's name, e.g. `fileLock+retry`. */
  name: string;
  /** Retries in all (attempts beyond the first). */
  retries: number;
  /** Operations that needed at least one retry. */
  opsRetried: number;
  /** Time writers spent waiting for a lock outside SQLite, summed. */
  lockWaitMs: number;
  /** Time writers spent inside transactions, summed. */
  txMs: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  /** Fastest. */
  minMs: number;
  /** Median. */
  p50Ms: number;
  /** 95th percentile. */
  p95Ms: number;
  /** 99th percentile. */
  p99Ms: number;
  /** Slowest. */
  maxMs: number;
}

/** Counts of one error code. */
export interface ErrorCount {
  /** SQLite result code, or `null`. */
  code: number | null;
  /** SQLite's name for it, e.g. `SQLITE_BUSY`. */
  name: string;
  /** Outcome class. */
  outcome: OutcomeKind;
  /** One message seen with it. */
  message: string;
  /** How many operations failed with it. */
  count: number;
}

/** How a host (Worker) ended. */
export type HostStatus = "done" | "crashed" | "stopped";

/**
 * Why a host ended: `done` (its writers finished), `crash-injection` (the
 * plan's `crash` killed it, or its writer threw there), `crash` (it died
 * for another reason: a task's uncaught error, `Deno.exit`, a signal) or
 * `stopped` (the run stopped it: a deadline, an abort, a failure elsewhere).
 */
export type HostEnd = "done" | "crash-injection" | "crash" | "stopped";

/** One row of the per-writer table. */
export interface WriterSummary {
  /** Writer id. */
  writer: number;
  /** Host that ran it. */
  host: number;
  /** How its host ended. */
  status: HostStatus;
  /** Operations assigned. */
  intended: number;
  /** Committed. */
  ok: number;
  /** SQLITE_BUSY family. */
  busy: number;
  /** SQLITE_LOCKED family. */
  locked: number;
  /** Other errors. */
  error: number;
  /** In flight when its host died. */
  unknown: number;
  /** Never started. */
  skipped: number;
  /** Rows committed. */
  rows: number;
}

/** One host of the run. */
export interface HostSummary {
  /** Host id. */
  host: number;
  /** Writers it ran. */
  writers: number[];
  /** How it ended. */
  status: HostStatus;
  /** Why it ended, as a fact to branch on. */
  ended: HostEnd;
  /** Why it crashed or was stopped, in words, if it did not finish. */
  error: string | null;
}

/** Everything a run did. Plain data: `JSON.stringify` keeps all of it. */
export interface Report {
  /** The settings that ran. */
  settings: RunSettings;
  /** SQLite library version. */
  sqliteVersion: string;
  /** dbhammer's version. */
  dbhammerVersion: string;
  /** Deno's version, where the run ran. */
  denoVersion: string;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** The table before the run. */
  baseline: Baseline;
  /** Operations intended. */
  intended: number;
  /** Operations committed. */
  ok: number;
  /** Operations failed with SQLITE_BUSY. */
  busy: number;
  /** Operations failed with SQLITE_LOCKED. */
  locked: number;
  /** `busy + locked`. */
  lockErrors: number;
  /** Operations failed with any other error. */
  otherErrors: number;
  /** Operations in flight when their host died or the run stopped. */
  unknown: number;
  /** Operations never started. */
  skipped: number;
  /** Rows intended. */
  rowsIntended: number;
  /** Rows committed by `ok` operations. */
  rowsWritten: number;
  /** Failures by code, most frequent first. */
  errorsByCode: ErrorCount[];
  /** From the start barrier opening to the last operation's end. */
  durationMs: number;
  /** Committed operations per second. */
  commitsPerSec: number;
  /** Latency of committed operations; `null` if none committed. */
  latency: LatencySummary | null;
  /** What the lock strategy did. */
  strategy: StrategySummary;
  /** Counter workload: the value before and after, and what was lost. */
  counter: CounterSummary | null;
  /** Per-writer table. */
  perWriter: WriterSummary[];
  /** Hosts and how they ended. */
  hosts: HostSummary[];
  /**
   * Whether a fresh connection could take the write lock after the run (it
   * waits up to 2 s for the threads of killed hosts to release theirs). A
   * `false` means a lock was left held: an abandoned transaction.
   */
  lockFreeAfterRun: boolean;
  /**
   * With `crash` set: whether the crash happened (the writer's host
   * crashed). It does not when the writer's operation failed before its
   * crash point, e.g. with a lock error. `null` without `crash`.
   */
  crashHappened: boolean | null;
  /** Committed operations in commit order. */
  commitOrder: { writer: number; seq: number }[];
  /** Every operation, by writer then sequence. */
  outcomes: Outcome[];
}

/** What the orchestrator hands to {@linkcode buildReport}. */
export interface ReportInput {
  /** Settings that ran. */
  settings: RunSettings;
  /** SQLite version. */
  sqliteVersion: string;
  /** Start time, ms since the epoch. */
  startedAtMs: number;
  /** Table before the run. */
  baseline: Baseline;
  /** Every operation, times relative to the start. */
  outcomes: Outcome[];
  /** Hosts. */
  hosts: HostSummary[];
  /** Run duration in ms. */
  durationMs: number;
  /** Counter workload: its value after the run. */
  counterAfter?: number;
  /** Whether a fresh connection could take the write lock after the run. */
  lockFreeAfterRun: boolean;
}

function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * Summarises latencies (nearest-rank percentiles), or `null` for none.
 *
 * @example Percentiles of four latencies
 * ```ts
 * import { summarizeLatency } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(summarizeLatency([4, 1, 3, 2]), {
 *   minMs: 1, p50Ms: 2, p95Ms: 4, p99Ms: 4, maxMs: 4,
 * });
 * assert.equal(summarizeLatency([]), null);
 * ```
 */
export function summarizeLatency(latencies: number[]): LatencySummary | null {
  if (latencies.length === 0) return null;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    minMs: round(sorted[0]),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]),
  };
}

function counterSummary(
  input: ReportInput,
  ok: Outcome[],
): CounterSummary | null {
  const settings = input.settings.workload;
  if (settings.kind !== "counter") return null;
  const before = input.baseline.counter ?? 0;
  const after = input.counterAfter ?? before;
  const expected = before + ok.length * settings.by;
  return {
    before,
    after,
    expected,
    lost: Math.max(0, Math.round((expected - after) / settings.by)),
  };
}

/**
 * Builds a report from a run's outcomes. Used by the orchestrator; exported
 * for tools that post-process outcomes.
 *
 * @example Rebuild a report from a run's outcomes
 * ```ts
 * import {
 *   createTable, fixtureDb, generateRows, insertRowsInParallel,
 * } from "@dbhammer/dbhammer";
 * import { buildReport } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(3), { table: "messages" });
 * const again = buildReport({ ...report, startedAtMs: Date.parse(report.startedAt) });
 * assert.equal(again.ok, report.ok);
 * ```
 *
 * @param input Settings, outcomes and hosts of a run.
 * @returns The report.
 */
export function buildReport(input: ReportInput): Report {
  const outcomes = [...input.outcomes].sort((a, b) =>
    a.writer - b.writer || a.seq - b.seq
  );
  const count = (kind: OutcomeKind): number =>
    outcomes.reduce((n, o) => n + (o.outcome === kind ? 1 : 0), 0);
  const okOutcomes = outcomes.filter((o) => o.outcome === "ok");
  const errors = new Map<string, ErrorCount>();
  for (const o of outcomes) {
    if (
      o.outcome === "ok" || o.outcome === "skipped" || o.outcome === "unknown"
    ) continue;
    const key = `${o.outcome}:${o.code}`;
    const entry = errors.get(key);
    if (entry) entry.count++;
    else {
      errors.set(key, {
        code: o.code,
        name: o.code === null ? "no code" : codeName(o.code),
        outcome: o.outcome,
        message: o.message ?? "",
        count: 1,
      });
    }
  }
  const hostOf = new Map<number, HostSummary>();
  for (const host of input.hosts) {
    for (const w of host.writers) hostOf.set(w, host);
  }
  // One pass: sorted by writer, each writer's outcomes follow one another
  // (a filter per writer was writers × operations).
  const perWriter: WriterSummary[] = [];
  let at = 0;
  for (let writer = 0; writer < input.settings.writers; writer++) {
    const host = hostOf.get(writer);
    const summary: WriterSummary = {
      writer,
      host: host?.host ?? -1,
      status: host?.status ?? "done",
      intended: 0,
      ok: 0,
      busy: 0,
      locked: 0,
      error: 0,
      unknown: 0,
      skipped: 0,
      rows: 0,
    };
    for (; at < outcomes.length && outcomes[at].writer === writer; at++) {
      const o = outcomes[at];
      summary.intended++;
      summary[o.outcome]++;
      summary.rows += o.rowids.length;
    }
    perWriter.push(summary);
  }
  const busy = count("busy");
  const locked = count("locked");
  const durationMs = round(Math.max(input.durationMs, 0));
  return {
    settings: input.settings,
    sqliteVersion: input.sqliteVersion,
    dbhammerVersion: denoJson.version,
    denoVersion: Deno.version.deno,
    startedAt: new Date(input.startedAtMs).toISOString(),
    baseline: input.baseline,
    intended: outcomes.length,
    ok: okOutcomes.length,
    busy,
    locked,
    lockErrors: busy + locked,
    otherErrors: count("error"),
    unknown: count("unknown"),
    skipped: count("skipped"),
    rowsIntended: outcomes.reduce((n, o) => n + o.keys.length, 0),
    rowsWritten: okOutcomes.reduce((n, o) => n + o.rowids.length, 0),
    errorsByCode: [...errors.values()].sort((a, b) => b.count - a.count),
    durationMs,
    commitsPerSec: durationMs > 0
      ? round(okOutcomes.length / (durationMs / 1000))
      : 0,
    latency: summarizeLatency(
      okOutcomes.map((o) => (o.endMs ?? 0) - (o.startMs ?? 0)),
    ),
    strategy: {
      name: input.settings.strategy.name,
      retries: outcomes.reduce((n, o) => n + Math.max(0, o.attempts - 1), 0),
      opsRetried: outcomes.filter((o) => o.attempts > 1).length,
      lockWaitMs: round(outcomes.reduce((n, o) => n + o.lockWaitMs, 0)),
      txMs: round(outcomes.reduce((n, o) => n + o.txMs, 0)),
    },
    perWriter,
    hosts: input.hosts,
    lockFreeAfterRun: input.lockFreeAfterRun,
    crashHappened: input.settings.crash === null
      ? null
      : input.hosts.some((h) =>
        h.ended === "crash-injection" &&
        h.writers.includes(input.settings.crash!.writer)
      ),
    counter: counterSummary(input, okOutcomes),
    commitOrder: okOutcomes.filter((o) => o.commitSeq !== null)
      .sort((a, b) => (a.commitSeq ?? 0) - (b.commitSeq ?? 0))
      .map((o) => ({ writer: o.writer, seq: o.seq })),
    outcomes,
  };
}
