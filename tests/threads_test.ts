// Writers multiplexed on few threads must behave as writers with a thread
// each: the same canonical cases, run both ways, give the same answers.
import assert from "node:assert/strict";
import {
  assertAcknowledged,
  assertCounter,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  fixtureDb,
  generateRows,
  hammer,
  type JournalMode,
  liveHosts,
  type Report,
} from "../mod.ts";
import { messagesDb } from "./_helpers.ts";

/** One writer per thread (SQLite waits), and all writers on one thread. */
const layouts = [
  { name: "a thread per writer", threads: (writers: number) => writers },
  { name: "all writers on one thread", threads: () => 1 },
];

for (const layout of layouts) {
  Deno.test(`${layout.name}: long busy timeout, overlap certain: no lock errors`, async () => {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(24) },
      writers: 8,
      threads: layout.threads(8),
      busyTimeoutMs: 30_000,
      holdMs: 20,
    });
    assert.equal(report.settings.threads, layout.threads(8));
    assert.equal(
      report.settings.busyWait,
      layout.threads(8) === 8 ? "sqlite" : "async",
    );
    assertNoLockErrors(report);
    assertRowCount(db, "messages", 24);
    assertAcknowledged(db, report);
    assertRowOrder(db, "messages", { order: "per-writer", report });
  });

  Deno.test(`${layout.name}: busy timeout 0, overlap certain: lock errors, nothing phantom`, async () => {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(8) },
      writers: 4,
      threads: layout.threads(4),
      busyTimeoutMs: 0,
      holdMs: 200,
    });
    // Four writers start together and each holds the lock 200 ms: at most
    // one of the four first transactions can commit without meeting another.
    assertLockErrors(report, { min: 3 });
    assert.ok(report.outcomes.every((o) => o.outcome !== "error"));
    assertRowCount(db, "messages", report.ok);
    assertAcknowledged(db, report);
  });

  for (const journalMode of ["delete", "wal"] as JournalMode[]) {
    Deno.test(`${layout.name}, ${journalMode}: the deferred read-then-write trap fails at once; immediate waits`, async () => {
      const run = async (
        transaction: "deferred" | "immediate",
      ): Promise<Report> => {
        await using db = await fixtureDb({ journalMode });
        const report = await hammer({
          db,
          workload: { kind: "counter", increments: 1 },
          writers: 2,
          threads: layout.threads(2),
          holdMs: [100, 300],
          transaction,
          busyTimeoutMs: 60_000,
          deadlineMs: 20_000,
        });
        assertCounter(db, report);
        return report;
      };
      const deferred = await run("deferred");
      assert.equal(deferred.ok, 1);
      assert.equal(deferred.busy, 1);
      const failed = deferred.outcomes.find((o) => o.outcome === "busy");
      assert.equal(failed?.writer, 1);
      assert.equal(failed?.code, journalMode === "wal" ? 517 : 5);
      // It failed at once: it never waited for the lock.
      assert.equal(failed?.lockWaitMs ?? 0, 0);
      const immediate = await run("immediate");
      assertNoLockErrors(immediate);
      assert.equal(immediate.ok, 2);
    });
  }
}

Deno.test("the report states writers, threads and the mode that ran", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(6) },
    writers: 6,
    threads: 2,
    busyTimeoutMs: 5000,
  });
  assert.deepEqual(
    [report.settings.writers, report.settings.threads, report.settings.mode],
    [6, 2, "worker"],
  );
  assert.equal(report.hosts.length, 2);
  assert.equal(liveHosts(), 0);
});
