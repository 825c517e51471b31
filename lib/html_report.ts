/**
 * A run's report as one self-contained HTML page: settings, summary, a
 * timeline with one lane per writer, a latency histogram and every failure.
 * No network, no scripts, no fonts: it opens from a file.
 *
 * @module
 */
import { codeName } from "./_errors.ts";
import { formatReport, type Outcome, type Report } from "./report.ts";

const COLORS: Record<Outcome["outcome"], string> = {
  ok: "#2e9e5b",
  busy: "#e08a1e",
  locked: "#8e44ad",
  error: "#d0312d",
  unknown: "#7f8c8d",
  skipped: "#bdc3c7",
};
const WAIT_COLOR = "#9ecae1";

function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ]!,
  );
}

const fixed = (n: number): string => n.toFixed(1);

function timeline(report: Report): string {
  const width = 1200;
  const left = 90;
  const lane = 16;
  const plotWidth = width - left - 40;
  const writers = report.settings.writers;
  const timed = report.outcomes.filter((o) =>
    o.startMs !== null && o.endMs !== null
  );
  const end = timed.reduce(
    (m, o) => Math.max(m, o.endMs!),
    Math.max(report.durationMs, 1),
  );
  const x = (ms: number): number => left + (ms / end) * plotWidth;
  const height = writers * lane + 30;
  const parts: string[] = [];
  for (let w = 0; w < writers; w++) {
    const y = w * lane;
    parts.push(
      `<g class="lane" data-writer="${w}"><rect x="0" y="${y}" width="${width}" height="${lane}" fill="${
        w % 2 === 0 ? "#fafafa" : "#f0f0f0"
      }"/><text x="4" y="${y + 12}" font-size="11">writer ${w}</text></g>`,
    );
  }
  for (const o of timed) {
    const y = o.writer * lane + 2;
    const start = x(o.startMs!);
    const stop = Math.max(x(o.endMs!), start + 1);
    const wait = Math.min(x(o.startMs! + o.lockWaitMs), stop);
    const label = escape(
      `writer ${o.writer} #${o.seq}: ${o.outcome}${
        o.code === null ? "" : ` (${codeName(o.code)})`
      }, ${fixed(o.endMs! - o.startMs!)} ms, waited ${
        fixed(o.lockWaitMs)
      } ms, ${o.attempts} attempt(s)${
        o.commitSeq === null ? "" : `, commit #${o.commitSeq}`
      }`,
    );
    parts.push(
      `<g class="op" data-outcome="${o.outcome}" data-writer="${o.writer}"><title>${label}</title>${
        wait > start
          ? `<rect class="wait" x="${fixed(start)}" y="${y}" width="${
            fixed(wait - start)
          }" height="${lane - 4}" fill="${WAIT_COLOR}"/>`
          : ""
      }<rect class="tx" x="${fixed(wait)}" y="${y}" width="${
        fixed(Math.max(stop - wait, 1))
      }" height="${lane - 4}" fill="${COLORS[o.outcome]}"/></g>`,
    );
  }
  const axis: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const ms = (end / 10) * i;
    axis.push(
      `<text x="${fixed(x(ms))}" y="${
        writers * lane + 20
      }" font-size="10" text-anchor="middle">${fixed(ms)} ms</text>`,
    );
  }
  return `<svg class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${
    parts.join("")
  }${axis.join("")}</svg>`;
}

function histogram(report: Report): string {
  const latencies = report.outcomes
    .filter((o) => o.outcome === "ok" && o.startMs !== null && o.endMs !== null)
    .map((o) => o.endMs! - o.startMs!);
  if (latencies.length === 0) return "<p>No acknowledged operations.</p>";
  const bins = 30;
  const max = latencies.reduce((m, ms) => Math.max(m, ms), 0.001);
  const counts = new Array(bins).fill(0);
  for (const ms of latencies) {
    counts[Math.min(bins - 1, Math.floor((ms / max) * bins))]++;
  }
  const width = 1200;
  const height = 160;
  const barWidth = (width - 20) / bins;
  const top = counts.reduce((m, n) => Math.max(m, n), 1);
  const bars = counts.map((count, i) => {
    const h = (count / top) * (height - 40);
    return `<g class="bin"><title>${fixed((max / bins) * i)}–${
      fixed((max / bins) * (i + 1))
    } ms: ${count}</title><rect x="${fixed(10 + i * barWidth)}" y="${
      fixed(height - 20 - h)
    }" width="${fixed(barWidth - 2)}" height="${
      fixed(h)
    }" fill="#4a78b5"/></g>`;
  });
  return `<svg class="histogram" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${
    bars.join("")
  }<text x="10" y="${height - 5}" font-size="10">0 ms</text><text x="${
    width - 10
  }" y="${height - 5}" font-size="10" text-anchor="end">${
    fixed(max)
  } ms</text></svg>`;
}

function failures(report: Report): string {
  const failed = report.outcomes.filter((o) => o.outcome !== "ok");
  if (failed.length === 0) return "<p>None.</p>";
  const rows = failed.map((o) =>
    `<tr class="failure" data-writer="${o.writer}"><td>${o.writer}</td><td>${o.seq}</td><td>${
      escape(o.keys.join(", "))
    }</td><td>${o.outcome}</td><td>${o.code ?? ""}</td><td>${
      o.code === null ? "" : codeName(o.code)
    }</td><td>${o.attempts}</td><td>${escape(o.message ?? "")}</td></tr>`
  );
  return `<table class="failures"><thead><tr><th>writer</th><th>op</th><th>keys</th><th>outcome</th><th>code</th><th>name</th><th>attempts</th><th>message</th></tr></thead><tbody>${
    rows.join("")
  }</tbody></table>`;
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
 * console.log(html.startsWith("<!doctype html>")); // true
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
    `<span><i style="background:${WAIT_COLOR}"></i>waiting for the lock (strategy or asynchronous busy wait)</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>dbhammer report: ${escape(report.settings.table)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;max-width:1240px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
pre{background:#f6f8fa;padding:12px;overflow-x:auto;font-size:12px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.scroll{overflow-x:auto}
</style></head><body>
<h1>dbhammer report</h1>
<section id="summary"><h2>Settings and summary</h2><pre>${
    escape(formatReport(report))
  }</pre></section>
<section id="timeline"><h2>Timeline: one lane per writer</h2>
<p class="legend">${legend}</p>
<p>Each bar is one operation from its start to its end; its light part is time spent waiting for the lock outside SQLite, the rest is the transaction (including any wait inside SQLite's busy handler).</p>
<div class="scroll">${timeline(report)}</div></section>
<section id="latency"><h2>Latency of acknowledged operations</h2>${
    histogram(report)
  }</section>
<section id="failures"><h2>Failures</h2>${failures(report)}</section>
</body></html>
`;
}
