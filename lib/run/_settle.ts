// Private: what the orchestrator reads from the database once the hosts are
// gone: whether the lock is free, the counter's value, and what became of
// the operations whose end nobody saw.
import { delay, now } from "../host/_memory.ts";
import type { Baseline, Outcome, RunSettings } from "../plan.ts";
import { classifyError } from "../sqlite/_classify.ts";
import { openConnection } from "../sqlite/_connection.ts";
import { workloadModule } from "../workloads/_registry.ts";
import { LOCK_RELEASE_WAIT_MS } from "./_quiesce.ts";

/** What the orchestrator reads from the database once the hosts are gone. */
export interface AfterRun {
  lockFree: boolean;
  counterAfter?: number;
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
    const module = workloadModule(settings.workload);
    const counterAfter = module.counterValue(conn, settings.workload);
    // Unknown operations are settled against the database, where it can.
    if (outcomes.some((o) => o.outcome === "unknown")) {
      module.settle(conn, settings.workload, outcomes, baseline, counterAfter);
    }
    return {
      lockFree,
      ...(counterAfter === null ? {} : { counterAfter }),
    };
  } finally {
    conn.close();
  }
}
