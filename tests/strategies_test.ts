// Each lock strategy against the same certain contention: 16 writers, 20
// one-row transactions each, every transaction holding the write lock for a
// few milliseconds, all released by one barrier.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  assertAcknowledged,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  busyTimeout,
  compose,
  DeadlineError,
  fileLock,
  type FixtureDb,
  generateRows,
  hammer,
  insertRowsInParallel,
  liveHosts,
  none,
  queue,
  type Report,
  retry,
  type Strategy,
} from "../mod.ts";
import { retryDelay } from "../lib/strategies.ts";
import { assertNoSecondTurn, messagesDb } from "./_helpers.ts";

const WRITERS = 16;
const PER_WRITER = 20;

Deno.test("none() lets lock errors surface", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: {
      kind: "insert",
      table: "messages",
      rows: generateRows(WRITERS * PER_WRITER),
    },
    writers: WRITERS,
    holdMs: 3,
    strategy: none(),
  });
  assert.equal(report.settings.strategy.name, "none");
  assertLockErrors(report, { min: 1 });
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
});

for (
  const [name, strategy] of [
    ["busyTimeout(60000)", busyTimeout(60_000)],
    ["retry()", retry({ attempts: 100_000, delayMs: 1, maxDelayMs: 20 })],
    ["fileLock()", fileLock({ timeoutMs: 60_000 })],
    ["queue()", queue()],
  ] as const
) {
  Deno.test(`${name} makes ${WRITERS} × ${PER_WRITER} contending transactions safe: all rows, no lock errors`, async () => {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: {
        kind: "insert",
        table: "messages",
        rows: generateRows(WRITERS * PER_WRITER),
      },
      writers: WRITERS,
      holdMs: 3,
      strategy,
    });
    assertNoLockErrors(report);
    assert.equal(report.ok, WRITERS * PER_WRITER);
    assertRowCount(db, "messages", WRITERS * PER_WRITER);
    assertAcknowledged(db, report);
    assertRowOrder(db, "messages", { order: "per-writer", report });
    assert.equal(liveHosts(), 0);
    if (name === "retry()") {
      assert.ok(
        report.strategy.retries > 0,
        "the contention made writers retry",
      );
    }
    if (name === "fileLock()" || name === "queue()") {
      assert.equal(report.strategy.retries, 0);
      assert.ok(
        report.strategy.lockWaitMs > 0,
        "writers waited for the strategy's lock",
      );
    }
  });
}

Deno.test("queue(): writers sharing hosts take turns; between two commits of a writer no other writer commits twice", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(6 * 8), {
    table: "messages",
    writers: 6,
    threads: 2,
    strategy: queue(),
  });
  assertNoLockErrors(report);
  assert.equal(report.ok, 48);
  assertAcknowledged(db, report);
  assertNoSecondTurn(
    report.outcomes
      .toSorted((a, b) => a.commitSeq! - b.commitSeq!)
      .map((o) => o.writer),
  );
});

/**
 * Two hosts of two writers, 10 operations each, writer 0 killed after 3;
 * asserts what holds wherever it was killed: its host crashed, the other
 * host's writers all committed, writer 0 kept its 3, nothing acknowledged was
 * lost, no host is left. A stalled run would end in a DeadlineError.
 */
async function killWriterZero(
  db: FixtureDb,
  strategy: Strategy,
  inTransaction: boolean,
): Promise<Report> {
  const report = await insertRowsInParallel(db, generateRows(4 * 10), {
    table: "messages",
    writers: 4,
    threads: 2,
    strategy,
    crash: { writer: 0, afterOps: 3, inTransaction },
    deadlineMs: 30_000,
  });
  const dead = report.hosts.find((h) => h.writers.includes(0));
  assert.equal(dead?.status, "crashed");
  const alive = report.hosts.find((h) => !h.writers.includes(0));
  for (const writer of alive!.writers) {
    assert.equal(report.perWriter[writer].ok, 10, `writer ${writer}`);
  }
  assert.equal(report.perWriter[0].ok, 3);
  assertAcknowledged(db, report);
  assert.equal(liveHosts(), 0);
  return report;
}

Deno.test("queue(): a host killed in its turn does not stall the others; the run ends long before its deadline", async () => {
  await using db = await messagesDb();
  // Writer 0 is killed inside its fourth transaction, holding the turn. The
  // busy timeout covers the moment its dead transaction still holds
  // SQLite's lock after the turn has moved on.
  const report = await killWriterZero(
    db,
    compose(queue(), busyTimeout(10_000)),
    true,
  );
  assert.equal(report.unknown, 1);
});

Deno.test("queue(): a host killed while it waits for its next turn does not stall the others", async () => {
  await using db = await messagesDb();
  // Writer 0 dies between operations: its host-mate (writer 2) finishes the
  // host's turn and asks for the next one, and the host is killed with
  // that ticket pending. The orchestrator must pass that turn on too.
  const report = await killWriterZero(db, queue(), false);
  assertNoLockErrors(report);
});

Deno.test("compose() layers a file lock with retries", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(40), {
    table: "messages",
    writers: 8,
    holdMs: 2,
    strategy: compose(fileLock({ timeoutMs: 30_000 }), retry({ attempts: 5 })),
  });
  assert.equal(report.settings.strategy.name, "fileLock+retry");
  assert.equal(
    report.settings.strategy.fileLock?.path,
    `${db.path}.dbhammer-lock`,
  );
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 40);
});

Deno.test("fileLock() with a short timeout reports the wait as a lock error", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    writers: 2,
    holdMs: 1000,
    strategy: fileLock({ timeoutMs: 100, attempts: 2, delayMs: 10 }),
  });
  assert.equal(report.ok, 1);
  assert.equal(report.busy, 1);
  const failed = report.outcomes.find((o) => o.outcome === "busy");
  assert.match(
    failed?.message ?? "",
    /file lock .*dbhammer-lock not acquired within 100 ms \(2 tries\)/,
  );
  assert.equal(failed?.code, null);
  // Its two tries of 100 ms and the pause between them were a wait for the
  // lock, although it never came.
  assert.ok(failed!.lockWaitMs >= 200, `lockWaitMs ${failed!.lockWaitMs}`);
  assertAcknowledged(db, report);
});

Deno.test("fileLock(): a writer killed in its transaction costs the others no lock error (its SQLite lock outlives its file lock)", async () => {
  // A terminated Worker's file lock goes with its file handle, its SQLite
  // lock only when its connection closes, a moment later. Without waiting
  // for SQLite's lock, the next holder of the file lock failed at once in
  // about half of these runs.
  for (let run = 0; run < 6; run++) {
    await using db = await messagesDb();
    const report = await insertRowsInParallel(db, generateRows(20), {
      table: "messages",
      writers: 2,
      threads: 2,
      strategy: fileLock(),
      crash: { writer: 0, afterOps: 1, inTransaction: true },
    });
    assert.equal(report.crashHappened, true);
    assert.equal(report.settings.busyTimeoutMs, 10_000);
    assertNoLockErrors(report);
    assert.equal(report.ok, 11, `run ${run}`);
    assertAcknowledged(db, report);
  }
  assert.equal(liveHosts(), 0);
});

Deno.test("fileLock(): SQLite's lock held outside the file lock (a writer's, or a reader's at COMMIT) is waited for, on shared and own threads", async () => {
  {
    // Workers warm up first: the lock below must meet running writers.
    await using warm = await messagesDb();
    await insertRowsInParallel(warm, generateRows(1), { table: "messages" });
  }
  for (const threads of [2, 4]) {
    for (const outside of ["writer", "reader"] as const) {
      await using db = await messagesDb();
      const other = new DatabaseSync(db.path);
      let release: ReturnType<typeof setTimeout> | undefined;
      try {
        const run = insertRowsInParallel(db, generateRows(40), {
          table: "messages",
          writers: 4,
          threads,
          strategy: fileLock(),
        });
        // Another program takes a lock for a moment once the hosts are
        // spawned (taken earlier, the run would wait for it before it spawns
        // them) and before they start. A reader's lock (DELETE journal)
        // lets the inserts in and stops their COMMIT.
        while (liveHosts() === 0) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        if (outside === "writer") other.exec("BEGIN IMMEDIATE");
        else {
          other.exec("BEGIN");
          other.prepare("SELECT count(*) FROM messages").get();
        }
        release = setTimeout(() => other.exec("ROLLBACK"), 1500);
        const report = await run;
        const layout = `${outside}, ${threads} threads`;
        assert.equal(
          report.settings.busyWait,
          threads === 4 ? "sqlite" : "async",
        );
        assertNoLockErrors(report);
        assertRowCount(db, "messages", 40);
        assertAcknowledged(db, report);
        // Commit numbers 1…40, none skipped by a COMMIT that waited.
        assert.deepEqual(
          report.outcomes.map((o) => o.commitSeq!).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
          layout,
        );
        // The writers met that lock (one waited for it, the others for the
        // file lock meanwhile): this test did what it says.
        assert.ok(
          report.outcomes.some((o) => o.lockWaitMs + o.txMs >= 700),
          `no writer met the lock (${layout})`,
        );
      } finally {
        clearTimeout(release);
        if (other.isTransaction) other.exec("ROLLBACK");
        other.close();
      }
    }
  }
  assert.equal(liveHosts(), 0);
});

for (const mode of ["worker", "process"] as const) {
  Deno.test(`retry(): a writer stopped at the deadline while it waits to retry is counted as a lock error with its tries, not as never started (${mode} mode)`, async () => {
    await using db = await messagesDb();
    const error = await insertRowsInParallel(db, generateRows(2), {
      table: "messages",
      writers: 2,
      mode,
      strategy: retry({ attempts: 1000, delayMs: 200, jitter: 0 }),
      holdMs: 30_000,
      transaction: "immediate",
      // Long enough for both to start (the deadline counts from the spawn).
      deadlineMs: 4000,
    }).then(() => null, (e) => e);
    assert.ok(error instanceof DeadlineError, String(error));
    const outcomes = error.report.outcomes.map((o) => [o.outcome, o.message]);
    assert.deepEqual(outcomes.map(([o]) => o).sort(), ["busy", "unknown"]);
    const stopped = error.report.outcomes.find((o) => o.outcome === "busy")!;
    assert.equal(
      stopped.message,
      "lock error, and its host ended while it waited to retry",
    );
    // Its tries so far, from shared memory: it tried every 200 ms or more
    // until the deadline, so more than once.
    assert.ok(stopped.attempts >= 2, `attempts ${stopped.attempts}`);
    assert.equal(error.report.lockErrors, 1);
    assert.equal(error.report.skipped, 0);
    assertAcknowledged(db, error.report);
  });
}

Deno.test("the long-task scenario: 3 writers × 2 rows holding 3 s, no busy timeout: lock errors per writer, the run ends", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    holdMs: 3000,
    strategy: none(),
  });
  assertLockErrors(report, { min: 1 });
  assert.ok(report.perWriter.some((w) => w.busy > 0));
  assert.ok(report.perWriter.every((w) => w.status === "done"));
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
});

Deno.test("the long-task scenario with fileLock() or queue(): 6 rows, no lock errors", async () => {
  // Both runs at once, on two databases: each takes 6 × 3 s.
  const run = async (strategy: Strategy) => {
    await using db = await messagesDb();
    const report = await insertRowsInParallel(db, generateRows(6), {
      table: "messages",
      writers: 3,
      holdMs: 3000,
      strategy,
    });
    assertNoLockErrors(report);
    assertRowCount(db, "messages", 6);
    assertAcknowledged(db, report);
    // Taking turns: every transaction of a writer is whole, never interleaved.
    assertRowOrder(db, "messages", { order: "per-writer", report });
  };
  await Promise.all([run(fileLock({ timeoutMs: 60_000 })), run(queue())]);
  assert.equal(liveHosts(), 0);
});

Deno.test("strategy constructors validate their options by name", () => {
  assert.throws(() => busyTimeout(-1), {
    name: "RangeError",
    message: /Invalid busyTimeout ms: -1/,
  });
  assert.throws(() => retry({ attempts: 0 }), {
    name: "RangeError",
    message: /Invalid retry attempts: 0/,
  });
  assert.throws(() => retry({ jitter: 2 }), {
    name: "RangeError",
    message: /Invalid retry jitter: 2/,
  });
  assert.throws(() => retry({ tries: 3 } as never), {
    name: "TypeError",
    message: /Unknown retry option: tries/,
  });
  assert.throws(() => fileLock({ path: "" }), {
    name: "TypeError",
    message: /Invalid fileLock path/,
  });
  assert.throws(() => compose(busyTimeout(1), none()), {
    name: "TypeError",
    message: /two strategies set busyTimeoutMs/,
  });
  // Strategies passed uncalled, or not strategies at all, would run as no
  // strategy under a strategy's name.
  assert.throws(() => compose(retry as never, fileLock as never), {
    name: "TypeError",
    message:
      /Invalid compose argument 1: retry is a function; call it: retry\(…\)/,
  });
  assert.throws(() => compose(), {
    name: "TypeError",
    message: /Invalid compose: no strategies given/,
  });
  assert.throws(() => compose(undefined as never), {
    name: "TypeError",
    message: /Invalid compose argument 1: undefined/,
  });
  assert.throws(() => retry(null as never), {
    name: "TypeError",
    message: /Invalid retry options: null/,
  });
});

Deno.test("a run refuses what is not a strategy, and a lock file nobody can create, before it starts", async () => {
  await using db = await messagesDb();
  const cases: [unknown, RegExp, string][] = [
    [
      busyTimeout,
      /Invalid strategy: busyTimeout is a function; call it/,
      "TypeError",
    ],
    [
      { name: "mine" },
      /Invalid strategy: \{"name":"mine"\} \(expected none\(\)/,
      "TypeError",
    ],
    [
      fileLock({ path: "/no/such/dir/app.lock" }),
      /Invalid fileLock path: \/no\/such\/dir\/app\.lock \(its directory \/no\/such\/dir does not exist\)/,
      "RangeError",
    ],
  ];
  for (const [strategy, message, name] of cases) {
    await assert.rejects(
      insertRowsInParallel(db, generateRows(2), {
        table: "messages",
        strategy: strategy as never,
      }),
      { name, message },
    );
  }
  assert.equal(liveHosts(), 0);
  assertRowCount(db, "messages", 0);
});

Deno.test("a strategy's busy timeout and busyTimeoutMs cannot disagree", async () => {
  await using db = await messagesDb();
  await assert.rejects(
    insertRowsInParallel(db, generateRows(2), {
      table: "messages",
      busyTimeoutMs: 100,
      strategy: busyTimeout(200),
    }),
    {
      name: "TypeError",
      message:
        /Invalid busyTimeoutMs: 100 conflicts with strategy busyTimeout\(200\)/,
    },
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("retryDelay() grows by the backoff, stays within jitter and the maximum", () => {
  const settings = retry({
    delayMs: 10,
    backoff: 2,
    jitter: 0.5,
    maxDelayMs: 100,
  }).retry!;
  assert.equal(retryDelay(settings, 0, () => 0.5), 10);
  assert.equal(retryDelay(settings, 2, () => 0.5), 40);
  assert.equal(retryDelay(settings, 10, () => 0.5), 100);
  assert.equal(retryDelay(settings, 1, () => 0), 10);
  assert.equal(retryDelay(settings, 1, () => 1), 30);
});
