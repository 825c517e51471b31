// Private: what the orchestrator reads from the database once the hosts are
// gone: whether the lock is free, the counter's value, and what became of
// the operations whose end nobody saw.
import { readNewRows } from "../_fingerprint.ts";
import { delay, now } from "../host/_memory.ts";
import type { Outcome, RunSettings } from "../plan.ts";
import type { Baseline } from "../report/report.ts";
import { classifyError } from "../sqlite/_classify.ts";
import { type Connection, openConnection } from "../sqlite/_connection.ts";
import { readCounter } from "./_prepare.ts";
import { LOCK_RELEASE_WAIT_MS } from "./_quiesce.ts";

/** What the orchestrator reads from the database once the hosts are gone. */
export interface AfterRun {
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
  const workload = settings.workload;
  if (workload.kind === "counter") {
    const applied = ((counterAfter ?? 0) - (baseline.counter ?? 0)) /
        workload.by - ok.length;
    const resolved = applied === 0
      ? "absent"
      : applied === unknown.length
      ? "present"
      : null;
    for (const o of unknown) o.resolved = resolved;
    return;
  }
  // A custom task's effects are its own: nothing to look for.
  if (workload.kind !== "insert") return;
  const claimed = new Set(ok.flatMap((o) => o.rowids));
  const free = new Map<string, number[]>();
  for (
    const row of readNewRows(
      conn,
      workload.table,
      workload.columns,
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
export async function afterRun(
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
    const counterAfter = settings.workload.kind === "counter"
      ? readCounter(conn, settings.workload.table)
      : undefined;
    resolveUnknowns(conn, settings, baseline, outcomes, counterAfter);
    return { lockFree, counterAfter };
  } finally {
    conn.close();
  }
}
