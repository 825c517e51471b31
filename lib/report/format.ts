// The report as text: settings first, then done/intended, failures by
// class, latency and throughput (the pgbench/k6 shape).
import { workloadModule } from "../workloads/_registry.ts";
import type { Report } from "./report.ts";

function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0.0%" : `${((part / whole) * 100).toFixed(1)}%`;
}

/** Why a planned crash did not happen, from its writer's host. */
function crashMissed(report: Report, writer: number): string {
  const host = report.hosts.find((h) => h.writers.includes(writer));
  if (host?.status === "stopped") return "the run was stopped first";
  if (host?.status === "crashed") {
    return "its host crashed for another reason first";
  }
  return "the operation failed before its crash point";
}

/**
 * Formats a report as a text summary in the pgbench/k6 shape: settings first,
 * then done/intended, failures by class, latency and throughput.
 *
 * @example Print a run's summary
 * ```ts
 * import { createTable, fixtureDb, formatReport, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(4), { table: "messages", busyTimeoutMs: 5000 });
 * console.log(formatReport(report));
 * ```
 *
 * @param report A run's report.
 * @returns Lines of text, without a trailing newline.
 */
export function formatReport(report: Report): string {
  const s = report.settings;
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`  ${(label + ":").padEnd(23)} ${value}`);
  };
  lines.push(
    `dbhammer: ${workloadModule(s.workload).what(s.workload)} (${
      s.driverName ?? s.driver
    }, SQLite ${report.sqliteVersion})`,
  );
  lines.push("settings");
  row("database", s.path);
  row(
    "writers / threads",
    `${s.writers} / ${s.threads} ${
      s.mode === "process"
        ? (s.threads === 1 ? "process" : "processes")
        : (s.threads === 1 ? "Worker" : "Workers")
    } (${
      s.busyWait === "sqlite"
        ? "one writer each; SQLite's busy handler waits"
        : "writers share them; waits are asynchronous"
    })`,
  );
  row("journal / synchronous", `${s.journalMode ?? "?"} / ${s.synchronous}`);
  row("strategy", s.strategy.name);
  row("busy timeout", `${s.busyTimeoutMs} ms`);
  row(
    "transactions",
    workloadModule(s.workload).transactions(s.workload, s),
  );
  if (s.crash !== null) {
    row(
      "crash injection",
      `writer ${s.crash.writer} after ${s.crash.afterOps} ops (${s.crash.how}${
        s.crash.inTransaction ? ", in transaction" : ""
      })${
        report.crashHappened
          ? ""
          : `: did not happen (${crashMissed(report, s.crash.writer)})`
      }`,
    );
  }
  lines.push("results");
  row(
    "done/intended",
    `${report.ok}/${report.intended} operations (${
      pct(report.ok, report.intended)
    })${
      // Only inserts know their rows ahead.
      s.workload.kind === "insert"
        ? `, ${report.rowsWritten}/${report.rowsIntended} rows`
        : ""}`,
  );
  row(
    "lock errors",
    `${report.lockErrors} (${
      pct(report.lockErrors, report.intended)
    }; busy ${report.busy}, locked ${report.locked})`,
  );
  row("other errors", `${report.otherErrors}`);
  if (report.unknown > 0 || report.skipped > 0) {
    const settled = (r: "present" | "absent"): number =>
      report.outcomes.filter((o) => o.outcome === "unknown" && o.resolved === r)
        .length;
    row(
      "unknown / not run",
      `${report.unknown} / ${report.skipped}${
        report.unknown > 0
          ? ` (unknown, checked in the database afterwards: ${
            settled("present")
          } committed, ${settled("absent")} not)`
          : ""
      }`,
    );
  }
  for (const e of report.errorsByCode) {
    row(
      `  ${e.outcome}`,
      `${e.count} × ${e.code ?? "-"} ${e.name}: ${e.message}`,
    );
  }
  if (report.latency !== null) {
    const l = report.latency;
    row(
      "latency (ok)",
      `min ${ms(l.minMs)}, p50 ${ms(l.p50Ms)}, p95 ${ms(l.p95Ms)}, p99 ${
        ms(l.p99Ms)
      }, max ${ms(l.maxMs)}`,
    );
  }
  const st = report.strategy;
  row(
    "strategy at work",
    `${st.retries} retries in ${st.opsRetried} operations, lock wait ${
      ms(st.lockWaitMs)
    }, in transactions ${ms(st.txMs)} (summed over writers)`,
  );
  if (report.counter !== null) {
    const c = report.counter;
    row(
      "counter",
      `${c.before} → ${c.after} (expected ${c.expected} from acknowledged increments${
        c.lost > 0 ? `; ${c.lost} lost` : ""
      })`,
    );
  }
  row(
    "throughput",
    `${report.commitsPerSec.toFixed(1)} commits/s over ${
      (report.durationMs / 1000).toFixed(2)
    } s`,
  );
  const done = report.hosts.filter((h) => h.status === "done").length;
  const crashed = report.hosts.filter((h) => h.status === "crashed").length;
  row(
    "hosts",
    done === report.hosts.length
      ? `${done} done`
      : `${done} done, ${crashed} crashed, ${
        report.hosts.length - done - crashed
      } stopped`,
  );
  for (const host of report.hosts) {
    if (host.status !== "done") {
      lines.push(
        `  host ${host.host} (writers ${
          host.writers.join(", ")
        }) ${host.status}: ${host.error}`,
      );
    }
  }
  if (!report.lockFreeAfterRun) {
    lines.push(
      "  WARNING: the write lock was still held after the run (an abandoned transaction)",
    );
  }
  const failing = report.perWriter.filter((w) => w.ok < w.intended);
  if (failing.length > 0) {
    lines.push(
      `writers that did not finish everything: ${failing.length} of ${report.perWriter.length}`,
    );
    for (const w of failing.slice(0, 5)) {
      lines.push(
        `  writer ${w.writer}: ${w.ok}/${w.intended} ok, busy ${w.busy}, locked ${w.locked}, error ${w.error}, unknown ${w.unknown}, not run ${w.skipped}`,
      );
    }
    if (failing.length > 5) lines.push(`  … and ${failing.length - 5} more`);
  }
  return lines.join("\n");
}
