import assert from "node:assert/strict";
import {
  fixtureDb,
  formatReport,
  generateRows,
  htmlReport,
  insertRowsInParallel,
} from "../../mod.ts";
import { summarizeLatency } from "../../lib/report/report.ts";
import { messagesDb } from "../_helpers.ts";

Deno.test("summarizeLatency() gives nearest-rank percentiles", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(summarizeLatency(values), {
    minMs: 1,
    p50Ms: 50,
    p95Ms: 95,
    p99Ms: 99,
    maxMs: 100,
  });
  assert.equal(summarizeLatency([]), null);
  assert.deepEqual(summarizeLatency([7]), {
    minMs: 7,
    p50Ms: 7,
    p95Ms: 7,
    p99Ms: 7,
    maxMs: 7,
  });
});

Deno.test("formatReport() prints settings first, then done/intended, failures, latency and throughput", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    busyTimeoutMs: 0,
    holdMs: 200,
  });
  const text = formatReport(report);
  const lines = text.split("\n");
  assert.match(
    lines[0],
    /^dbhammer: insert into "messages" \(node:sqlite, SQLite 3\.\d+\.\d+\)$/,
  );
  const order = [
    "settings",
    "writers / threads",
    "busy timeout",
    "results",
    "done/intended",
    "lock errors",
    "throughput",
  ];
  const positions = order.map((label) =>
    lines.findIndex((l) => l.includes(label))
  );
  assert.ok(positions.every((p) => p >= 0), text);
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  assert.match(text, new RegExp(`done/intended: +${report.ok}/6 operations`));
  assert.match(text, new RegExp(`lock errors: +${report.lockErrors} `));
  assert.match(text, /busy: +\d+ × 5 SQLITE_BUSY: database is locked/);
  assert.match(
    text,
    /writers that did not finish everything: \d of 3\n {2}writer \d: /,
  );
  assert.match(text, /busy timeout: +0 ms/);
  assert.match(text, /transactions: +deferred, 1 row each, hold 200 ms/);
});

Deno.test("report counts agree with its outcomes", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(9), {
    table: "messages",
    writers: 3,
    busyTimeoutMs: 0,
    holdMs: 100,
  });
  const by = (kind: string): number =>
    report.outcomes.filter((o) => o.outcome === kind).length;
  assert.equal(report.ok, by("ok"));
  assert.equal(report.busy, by("busy"));
  assert.equal(report.lockErrors, by("busy") + by("locked"));
  assert.equal(report.intended, 9);
  assert.equal(report.ok + report.lockErrors + report.otherErrors, 9);
  assert.equal(report.perWriter.reduce((n, w) => n + w.ok, 0), report.ok);
  // Each writer's summary, recounted from its own outcomes.
  for (const w of report.perWriter) {
    const mine = report.outcomes.filter((o) => o.writer === w.writer);
    const of = (kind: string): number =>
      mine.filter((o) => o.outcome === kind).length;
    assert.deepEqual(
      [w.intended, w.ok, w.busy, w.locked, w.error, w.unknown, w.skipped],
      [
        mine.length,
        of("ok"),
        of("busy"),
        of("locked"),
        of("error"),
        of("unknown"),
        of("skipped"),
      ],
      `writer ${w.writer}`,
    );
    assert.equal(w.rows, mine.reduce((n, o) => n + o.rowids.length, 0));
    assert.equal(w.intended, 3);
  }
  assert.equal(report.commitOrder.length, report.ok);
  assert.equal(
    report.errorsByCode.reduce((n, e) => n + e.count, 0),
    report.lockErrors + report.otherErrors,
  );
  assert.ok(
    report.latency === null || report.latency.minMs <= report.latency.p50Ms,
  );
});

Deno.test("formatReport() gives why a planned crash did not happen from its writer's host", async () => {
  await using db = await messagesDb();
  const run = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    writers: 2,
    busyTimeoutMs: 10_000,
  });
  // The same report, as if a crash had been planned and the hosts had ended
  // as given: the reason is read from the crash writer's host only.
  const as = (
    writer: number,
    statuses: ("done" | "stopped" | "crashed")[],
  ): string =>
    formatReport({
      ...run,
      settings: {
        ...run.settings,
        crash: { writer, afterOps: 0, inTransaction: true, how: "kill" },
      },
      crashHappened: false,
      hosts: statuses.map((status, host) => ({
        host,
        writers: [host],
        status,
        ended: status === "crashed" ? "crash" : status,
        error: status === "done" ? null : "something else",
      })),
    });
  assert.match(
    as(0, ["done", "stopped"]),
    /: did not happen \(the operation failed before its crash point\)/,
  );
  assert.match(
    as(1, ["done", "stopped"]),
    /: did not happen \(the run was stopped first\)/,
  );
  assert.match(
    as(0, ["crashed", "done"]),
    /: did not happen \(its host crashed for another reason first\)/,
  );
});

Deno.test("a report names extended codes: a UNIQUE violation is SQLITE_CONSTRAINT_UNIQUE", async () => {
  await using db = await fixtureDb({ sql: "CREATE TABLE t (x TEXT UNIQUE)" });
  const report = await insertRowsInParallel(db, [{ x: "a" }, { x: "a" }], {
    table: "t",
    busyTimeoutMs: 5000,
  });
  assert.equal(report.otherErrors, 1);
  assert.deepEqual(
    report.errorsByCode.map((e) => [e.code, e.name]),
    [[2067, "SQLITE_CONSTRAINT_UNIQUE"]],
  );
  assert.match(formatReport(report), /1 × 2067 SQLITE_CONSTRAINT_UNIQUE/);
  assert.match(htmlReport(report), /SQLITE_CONSTRAINT_UNIQUE/);
  assert.doesNotMatch(htmlReport(report), /SQLITE_2067/);
});

Deno.test("formatReport() says one Worker, not 1 Workers", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    threads: 1,
    busyTimeoutMs: 5000,
  });
  assert.match(formatReport(report), /writers \/ threads: +2 \/ 1 Worker \(/);
});
