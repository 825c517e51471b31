import assert from "node:assert/strict";
import { join } from "node:path";
import {
  htmlReport,
  insertRowsInParallel,
  type Outcome,
  type OutcomeKind,
  type Report,
} from "../../mod.ts";
import { buildReport } from "../../lib/report/report.ts";
import { resolvePlan } from "../../lib/_resolve_plan.ts";
import {
  COLORS,
  MAX_DRAWN_OPERATIONS,
  TENURE_COLOR,
} from "../../lib/report/_timeline.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { messagesDb, tempDir } from "../_helpers.ts";
import { countColor, decodePng } from "../_png.ts";

/** A report of `writers` × `perWriter` operations, built as a run would. */
function syntheticReport(
  writers: number,
  perWriter: number,
  kindOf: (writer: number, seq: number) => OutcomeKind,
): Report {
  const outcomes: Outcome[] = [];
  let commit = 0;
  for (let w = 0; w < writers; w++) {
    for (let seq = 0; seq < perWriter; seq++) {
      const kind = kindOf(w, seq);
      const ok = kind === "ok";
      const startMs = seq * 10 + w * 0.01;
      outcomes.push({
        writer: w,
        seq,
        keys: [w * perWriter + seq],
        outcome: kind,
        code: ok ? null : kind === "locked" ? 6 : 5,
        // Every message distinct: the worst case for the page's size.
        message: ok ? null : `database is locked (writer ${w}, op ${seq})`,
        attempts: 1,
        startMs,
        endMs: startMs + 9,
        lockWaitMs: 1,
        txMs: 8,
        lockAtMs: ok ? startMs + 2 : null,
        commitAtMs: ok ? startMs + 2.001 : null,
        commitSeq: ok ? ++commit : null,
        rowids: ok ? [commit] : [],
        read: null,
        wrote: null,
        resolved: null,
        fingerprints: [],
      });
    }
  }
  return buildReport({
    settings: resolvePlan({
      db: "/tmp/synthetic.db",
      workload: {
        kind: "insert",
        table: "messages",
        rows: outcomes.map((_, i) => ({ msg: `m${i}` })),
      },
      writers,
    }),
    sqliteVersion: "3.0.0",
    startedAtMs: Date.UTC(2026, 11, 4),
    baseline: { rows: 0, maxRowid: 0, counter: null },
    outcomes,
    hosts: [],
    durationMs: perWriter * 10,
    lockFreeAfterRun: true,
  });
}

const bytes = (text: string): number => new TextEncoder().encode(text).length;
const count = (page: string, pattern: RegExp): number =>
  page.match(pattern)?.length ?? 0;

async function collidingRun(): Promise<Report> {
  await using db = await messagesDb();
  // Without a busy timeout, a writer that meets the 100 ms hold fails.
  return await insertRowsInParallel(
    db,
    Array.from({ length: 8 }, (_, i) => ({ msg: `m${i}` })),
    { table: "messages", writers: 4, busyTimeoutMs: 0, holdMs: 100 },
  );
}

Deno.test("htmlReport: the page names its date and versions, labels the histogram's axes and counts, groups failures by code and draws lock tenure", async () => {
  const report = await collidingRun();
  assert.ok(report.lockErrors > 0 && report.ok > 0);
  const page = htmlReport(report);
  assert.ok(page.includes(`Run started ${report.startedAt}`));
  assert.equal(report.dbhammerVersion, denoJson.version);
  assert.equal(report.denoVersion, Deno.version.deno);
  for (
    const part of [
      `dbhammer ${denoJson.version}`,
      `Deno ${Deno.version.deno}`,
      `SQLite ${report.sqliteVersion}`,
    ]
  ) assert.ok(page.includes(part), part);
  // Every acknowledged operation is in one bin, and each bin says how many.
  const bins = [...page.matchAll(/<g class="bin" data-count="(\d+)">/g)]
    .map((m) => Number(m[1]));
  assert.equal(bins.reduce((a, b) => a + b, 0), report.ok);
  for (const n of bins.filter((n) => n > 0)) {
    assert.match(page, new RegExp(`text-anchor="middle">${n}</text></g>`));
  }
  assert.ok(page.includes(">operations</text>"));
  assert.ok(page.includes("latency, ms"));
  // One row per code, whose counts add up to the failures.
  const groups = [
    ...page.matchAll(
      /<tr class="failure-group"><td>(\w+)<\/td><td>(\d*)<\/td><td>(\w*)<\/td><td>(\d+)<\/td>/g,
    ),
  ];
  assert.deepEqual(
    groups.map((g) => [g[1], Number(g[2]), g[3], Number(g[4])]),
    report.errorsByCode.map((e) => [
      report.outcomes.find((o) => o.code === e.code)!.outcome,
      e.code,
      e.name,
      e.count,
    ]),
  );
  // Each commit's tenure: on its lane and in the lock lane.
  const held = report.outcomes.filter((o) => o.lockAtMs !== null);
  assert.equal(held.length, report.ok);
  assert.equal(count(page, /<rect class="held"/g), report.ok);
  assert.equal(count(page, /<rect class="tenure"/g), report.ok);
});

Deno.test("htmlReport: 98 identical failures are one row by code; the rows one by one stop at 50", () => {
  const report = syntheticReport(100, 1, (w) => w < 2 ? "ok" : "busy");
  const page = htmlReport(report);
  assert.equal(count(page, /<tr class="failure-group"/g), 1);
  assert.match(
    page,
    /<td>busy<\/td><td>5<\/td><td>SQLITE_BUSY<\/td><td>98<\/td><td>2, 3, 4, 5, 6, 7, 8, 9 and 90 more<\/td>/,
  );
  assert.match(page, /\(and 97 other messages\)/);
  assert.equal(count(page, /<tr class="failure"/g), 50);
  assert.match(page, /The first 50 of 98 failures/);
  assert.match(page, /48 more failures are in the report's JSON/);
});

Deno.test("htmlReport: a 20 000-operation run's page stays under 1 MB and says it is aggregated", () => {
  const kinds: OutcomeKind[] = ["ok", "busy", "ok", "locked", "ok", "error"];
  const report = syntheticReport(200, 100, (w, s) => kinds[(w + s) % 6]);
  assert.equal(report.intended, 20_000);
  const page = htmlReport(report);
  assert.ok(bytes(page) < 1_000_000, `${bytes(page)} bytes`);
  assert.match(page, /20000 timed operations on 200 writers/);
  assert.match(page, /each lane is 4 writers/);
  assert.equal(count(page, /<g class="op"/g), 0);
  assert.equal(count(page, /<g class="lane"/g), 50);
  // Every outcome that happened has its colour on the page.
  for (const kind of ["ok", "busy", "locked", "error"] as const) {
    assert.ok(page.includes(`fill="${COLORS[kind]}" d="M`), kind);
  }
  assert.ok(page.includes(`fill="${TENURE_COLOR}" d="M`));
});

Deno.test("htmlReport: the most operations drawn one by one still make a page under 1 MB", () => {
  const report = syntheticReport(
    300,
    MAX_DRAWN_OPERATIONS / 300,
    (w, s) => (w + s) % 3 === 0 ? "busy" : "ok",
  );
  const page = htmlReport(report);
  assert.equal(count(page, /<g class="op"/g), MAX_DRAWN_OPERATIONS);
  assert.equal(count(page, /<g class="lane"/g), 300);
  assert.ok(bytes(page) < 1_000_000, `${bytes(page)} bytes`);
  // One more operation and the timeline is aggregated.
  const more = htmlReport(syntheticReport(301, 5, () => "ok"));
  assert.equal(count(more, /<g class="op"/g), 0);
  assert.match(more, /aggregated/);
});

/** A headless Chromium on PATH, or null. */
function findChromium(): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch {
        // Not here.
      }
    }
  }
  return null;
}

const chromium = findChromium();

Deno.test({
  name: chromium === null
    ? "htmlReport: renders in headless Chromium (skipped: no chromium, chromium-browser or google-chrome on PATH)"
    : "htmlReport: renders in headless Chromium at 1280 px, not blank: lanes, lock tenure and histogram are drawn",
  ignore: chromium === null,
  fn: async () => {
    const report = await collidingRun();
    await using dir = await tempDir();
    const page = join(dir.path, "report.html");
    const png = join(dir.path, "report.png");
    await Deno.writeTextFile(page, htmlReport(report));
    const shot = await new Deno.Command(chromium!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        `--user-data-dir=${join(dir.path, "profile")}`,
        "--window-size=1280,1400",
        `--screenshot=${png}`,
        `file://${page}`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(shot.code, 0, new TextDecoder().decode(shot.stderr));
    const image = await decodePng(await Deno.readFile(png));
    assert.equal(image.width, 1280);
    // Not blank: the lock lane's tenures and the histogram's bars are there.
    assert.ok(countColor(image, TENURE_COLOR) > 200, "lock tenure drawn");
    assert.ok(countColor(image, "#4a78b5") > 200, "histogram drawn");
    assert.ok(countColor(image, COLORS.busy) > 50, "lock errors drawn");
  },
});
