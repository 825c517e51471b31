/**
 * A run's report as one self-contained HTML page: settings, summary, a
 * timeline with one lane per writer, a latency histogram and every failure.
 * No network, no scripts, no fonts: it opens from a file.
 *
 * @module
 */
import { codeName } from "../sqlite/_classify.ts";
import {
  COLORS,
  COMMIT_COLOR,
  escape,
  fixed,
  TENURE_COLOR,
  timeline,
  WAIT_COLOR,
} from "./_timeline.ts";
import { formatReport } from "./format.ts";
import type { Outcome, Report } from "./report.ts";
import { workloadTable } from "../plan.ts";

/** Failures listed one by one, after the table by code. */
const MAX_FAILURE_ROWS = 50;

function histogram(report: Report): string {
  const latencies = report.outcomes
    .filter((o) => o.outcome === "ok" && o.startMs !== null && o.endMs !== null)
    .map((o) => o.endMs! - o.startMs!);
  if (latencies.length === 0) return "<p>No acknowledged operations.</p>";
  const bins = 30;
  const max = latencies.reduce((m, ms) => Math.max(m, ms), 0.001);
  const counts = new Array<number>(bins).fill(0);
  for (const ms of latencies) {
    counts[Math.min(bins - 1, Math.floor((ms / max) * bins))]++;
  }
  const width = 1200;
  const height = 220;
  const left = 60;
  const bottom = height - 40;
  const plotHeight = bottom - 20;
  const barWidth = (width - left - 20) / bins;
  const top = counts.reduce((m, n) => Math.max(m, n), 1);
  const parts: string[] = [];
  counts.forEach((count, i) => {
    // A bin of one operation stays visible: at least 2 px.
    const h = count === 0 ? 0 : Math.max(2, (count / top) * plotHeight);
    const x = left + i * barWidth;
    parts.push(
      `<g class="bin" data-count="${count}"><title>${fixed((max / bins) * i)}–${
        fixed((max / bins) * (i + 1))
      } ms: ${count}</title><rect x="${fixed(x + 1)}" y="${
        fixed(bottom - h)
      }" width="${fixed(barWidth - 2)}" height="${fixed(h)}" fill="#4a78b5"/>${
        count === 0
          ? ""
          : `<text x="${fixed(x + barWidth / 2)}" y="${
            fixed(bottom - h - 3)
          }" font-size="10" text-anchor="middle">${count}</text>`
      }</g>`,
    );
  });
  // Axes: operations up the side, latency along the bottom.
  parts.push(
    `<line x1="${left}" y1="${bottom}" x2="${
      width - 20
    }" y2="${bottom}" stroke="#888"/><line x1="${left}" y1="20" x2="${left}" y2="${bottom}" stroke="#888"/>`,
  );
  for (const n of new Set([0, Math.round(top / 2), top])) {
    const y = fixed(bottom - (n / top) * plotHeight);
    parts.push(
      `<text x="${
        left - 6
      }" y="${y}" font-size="10" text-anchor="end" dominant-baseline="middle">${n}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const x = fixed(left + ((width - left - 20) / 6) * i);
    parts.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${
        bottom + 4
      }" stroke="#888"/><text x="${x}" y="${
        bottom + 16
      }" font-size="10" text-anchor="middle">${fixed((max / 6) * i)}</text>`,
    );
  }
  parts.push(
    `<text x="${(width + left) / 2}" y="${
      height - 6
    }" font-size="11" text-anchor="middle">latency, ms (start to end of the operation)</text><text x="14" y="${
      bottom / 2
    }" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${
      bottom / 2
    })">operations</text>`,
  );
  return `<svg class="histogram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${
    parts.join("")
  }</svg>`;
}

/** Failures of one outcome and code. */
interface FailureGroup {
  outcome: Outcome["outcome"];
  code: number | null;
  count: number;
  writers: Set<number>;
  messages: Map<string, number>;
}

function groupFailures(failed: Outcome[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const o of failed) {
    const key = `${o.outcome}/${o.code}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        outcome: o.outcome,
        code: o.code,
        count: 0,
        writers: new Set(),
        messages: new Map(),
      };
      groups.set(key, group);
    }
    group.count++;
    group.writers.add(o.writer);
    const message = o.message ?? "";
    group.messages.set(message, (group.messages.get(message) ?? 0) + 1);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

const listed = (items: number[], first: number): string =>
  items.length <= first
    ? items.join(", ")
    : `${items.slice(0, first).join(", ")} and ${items.length - first} more`;

function failures(report: Report): string {
  const failed = report.outcomes.filter((o) => o.outcome !== "ok");
  if (failed.length === 0) return "<p>None.</p>";
  const groups = groupFailures(failed).map((g) => {
    const [message] = [...g.messages].sort((a, b) => b[1] - a[1])[0];
    const others = g.messages.size - 1;
    return `<tr class="failure-group"><td>${g.outcome}</td><td>${
      g.code ?? ""
    }</td><td>${
      g.code === null ? "" : codeName(g.code)
    }</td><td>${g.count}</td><td>${
      listed([...g.writers].sort((a, b) => a - b), 8)
    }</td><td>${escape(message)}${
      others > 0
        ? ` <i>(and ${others} other message${others === 1 ? "" : "s"})</i>`
        : ""
    }</td></tr>`;
  });
  const rows = failed.slice(0, MAX_FAILURE_ROWS).map((o) =>
    `<tr class="failure" data-writer="${o.writer}"><td>${o.writer}</td><td>${o.seq}</td><td>${
      escape(o.keys.join(", "))
    }</td><td>${o.outcome}</td><td>${o.code ?? ""}</td><td>${
      o.code === null ? "" : codeName(o.code)
    }</td><td>${o.attempts}</td><td>${escape(o.message ?? "")}</td></tr>`
  );
  const more = failed.length - rows.length;
  return `<table class="failure-groups"><thead><tr><th>outcome</th><th>code</th><th>name</th><th>operations</th><th>writers</th><th>message</th></tr></thead><tbody>${
    groups.join("")
  }</tbody></table>
<h3>${
    more > 0
      ? `The first ${rows.length} of ${failed.length} failures`
      : "Each failure"
  }</h3>
<table class="failures"><thead><tr><th>writer</th><th>op</th><th>keys</th><th>outcome</th><th>code</th><th>name</th><th>attempts</th><th>message</th></tr></thead><tbody>${
    rows.join("")
  }</tbody></table>${
    more > 0
      ? `<p>${more} more failure${
        more === 1 ? "" : "s"
      } are in the report's JSON (--json).</p>`
      : ""
  }`;
}

function meta(report: Report): string {
  const s = report.settings;
  return `<p class="meta">Run started ${escape(report.startedAt)} · dbhammer ${
    escape(report.dbhammerVersion)
  } · Deno ${escape(report.denoVersion)} · SQLite ${
    escape(report.sqliteVersion)
  } · driver ${escape(s.driverName ?? s.driver)} · ${s.writers} writer${
    s.writers === 1 ? "" : "s"
  } on ${s.threads} ${s.mode === "process" ? "process" : "Worker"}${
    s.threads === 1 ? "" : s.mode === "process" ? "es" : "s"
  }</p>`;
}

/**
 * Renders a report as a self-contained HTML page.
 *
 * @example Write a run's HTML report
 * ```ts
 * import {
 *   createTable, fixtureDb, generateRows, htmlReport, insertRowsInParallel,
 * } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(4), { table: "messages" });
 * const html = htmlReport(report);
 * await Deno.writeTextFile(`${db.path}.html`, html); // open it in a browser
 * await Deno.remove(`${db.path}.html`);
 * ```
 *
 * @param report A run's report.
 * @returns The page.
 */
export function htmlReport(report: Report): string {
  const legend =
    Object.entries(COLORS).map(([kind, color]) =>
      `<span><i style="background:${color}"></i>${kind}</span>`
    ).join("") +
    `<span><i style="background:${WAIT_COLOR}"></i>waiting for the lock (strategy or asynchronous busy wait)</span><span><i style="background:${TENURE_COLOR}"></i>holding the write lock</span><span><i style="background:${COMMIT_COLOR}"></i>COMMIT</span>`;
  const { svg, note } = timeline(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>dbhammer report: ${
    escape(workloadTable(report.settings.workload) || "task")
  }</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;max-width:1240px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.meta{color:#555}.scroll{overflow-x:auto}
</style></head><body>
<h1>dbhammer report</h1>
${meta(report)}
<section id="summary"><h2>Settings and summary</h2><pre>${
    escape(formatReport(report))
  }</pre></section>
<section id="timeline"><h2>Timeline: who ran, who waited, who held the write lock</h2>
<p class="legend">${legend}</p>
<p>${note}</p>
<div class="scroll">${svg}</div></section>
<section id="latency"><h2>Latency of acknowledged operations</h2>${
    histogram(report)
  }</section>
<section id="failures"><h2>Failures by code</h2>${failures(report)}</section>
</body></html>
`;
}
