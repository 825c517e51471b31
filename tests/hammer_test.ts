import assert from "node:assert/strict";
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  DatabaseError,
  DeadlineError,
  DEFAULT_MAX_THREADS,
  fileLock,
  type FixtureDb,
  formatReport,
  generateRows,
  hammer,
  liveHosts,
  none,
  type Report,
  RunAbortedError,
  type RunProgress,
} from "../mod.ts";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as delay } from "node:timers/promises";
import { corruptDatabase, holdLock, messagesDb } from "./_helpers.ts";

/** A fresh connection can take the write lock at once: no run left it held. */
function assertNoLockHeld(db: FixtureDb): void {
  const c = db.connection;
  c.exec("PRAGMA busy_timeout = 0");
  c.prepare("BEGIN IMMEDIATE").run();
  c.prepare("ROLLBACK").run();
}

Deno.test("hammer() deals rows beyond the default writer cap out to 100 writers", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(250) },
    busyTimeoutMs: 30_000,
  });
  assert.equal(report.settings.writers, 100);
  assert.equal(report.settings.threads, DEFAULT_MAX_THREADS);
  assert.equal(report.settings.busyWait, "async");
  assert.equal(report.intended, 250);
  assert.deepEqual(
    report.outcomes.filter((o) => o.writer === 0).map((o) => o.keys),
    [[0], [100], [200]],
  );
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 250);
  assertAcknowledged(db, report);
  assertRowOrder(db, "messages", { order: "per-writer", report });
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() report is plain data: JSON keeps all of it", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(4) },
    busyTimeoutMs: 5000,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  // Commit order: every ok operation once, numbered by the shared counter.
  assert.equal(report.commitOrder.length, 4);
  const seqs = report.outcomes.map((o) => o.commitSeq).sort();
  assert.deepEqual(seqs, [1, 2, 3, 4]);
  for (const o of report.outcomes) {
    assert.ok(
      o.startMs !== null && o.endMs !== null && o.startMs >= 0 &&
        o.endMs >= o.startMs,
    );
    assert.equal(o.attempts, 1);
  }
});

Deno.test("hammer() commit order follows rowid order", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(40) },
    writers: 8,
    busyTimeoutMs: 10_000,
  });
  const byCommit = report.outcomes.filter((o) => o.outcome === "ok")
    .sort((a, b) => (a.commitSeq ?? 0) - (b.commitSeq ?? 0))
    .map((o) => o.rowids[0]);
  assert.deepEqual(byCommit, [...byCommit].sort((a, b) => a - b));
});

Deno.test("hammer() hosts several writers per Worker with asynchronous busy waits", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(40) },
    writers: 8,
    threads: 2,
    busyTimeoutMs: 10_000,
    holdMs: 10,
  });
  assert.equal(report.settings.busyWait, "async");
  assert.equal(report.hosts.length, 2);
  assert.deepEqual(report.hosts[0].writers, [0, 2, 4, 6]);
  assertNoLockErrors(report);
  assert.ok(
    report.strategy.lockWaitMs > 0,
    "writers sharing a thread waited outside SQLite",
  );
  assertRowCount(db, "messages", 40);
  assertAcknowledged(db, report);
  assertRowOrder(db, "messages", { order: "per-writer", report });
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() shared-thread writers with busy timeout 0 and a hold get lock errors", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(8) },
    writers: 4,
    threads: 2,
    busyTimeoutMs: 0,
    holdMs: 200,
  });
  assertLockErrors(report, { min: 1 });
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
});

Deno.test("hammer() kills a host shared by several writers: its unreported outcomes are settled, nothing phantom", async () => {
  await using db = await messagesDb({ journalMode: "wal" });
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(600) },
    writers: 6,
    threads: 2,
    busyTimeoutMs: 10_000,
    crash: { writer: 1, afterOps: 40, inTransaction: false },
  });
  const host = report.hosts.find((h) => h.writers.includes(1));
  assert.deepEqual(host?.writers, [1, 3, 5]);
  assert.equal(host?.status, "crashed");
  for (const id of [1, 3, 5]) {
    assert.equal(report.perWriter[id].status, "crashed");
  }
  // Writers on the other host finished.
  assert.equal(report.perWriter[0].ok + report.perWriter[2].ok, 200);
  // What the dead host's writers finished is in the outcome table: writer
  // 1's first 40 operations are known, not unknown.
  assert.deepEqual(
    report.outcomes.filter((o) => o.writer === 1 && o.seq < 40).map((o) =>
      o.outcome
    ),
    Array(40).fill("ok"),
  );
  // Outcomes the dead host never reported are unknown, then settled against
  // the database; only operations after a writer's last one are "not run".
  const unknown = report.outcomes.filter((o) => o.outcome === "unknown");
  assert.ok(unknown.every((o) => o.resolved !== null));
  assertRowCount(
    db,
    "messages",
    report.ok + unknown.filter((o) => o.resolved === "present").length,
  );
  assertAcknowledged(db, report);
  assertIntegrity(db);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() reports a host killed inside a transaction; nothing acknowledged is lost", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(12) },
    writers: 3,
    busyTimeoutMs: 10_000,
    crash: { writer: 1, afterOps: 2, inTransaction: true },
  });
  const host = report.hosts.find((h) => h.writers.includes(1));
  assert.equal(host?.status, "crashed");
  assert.match(
    host?.error ?? "",
    /killed by crash injection: writer 1 after 2 operations, inside a transaction/,
  );
  const writer1 = report.outcomes.filter((o) => o.writer === 1).map((o) =>
    o.outcome
  );
  assert.deepEqual(writer1, ["ok", "ok", "unknown", "skipped"]);
  assert.equal(report.perWriter[1].status, "crashed");
  assert.equal(report.crashHappened, true);
  assert.deepEqual(report.hosts.map((h) => h.ended), [
    "done",
    "crash-injection",
    "done",
  ]);
  assert.equal(report.perWriter[0].ok, 4);
  assert.equal(report.perWriter[2].ok, 4);
  assert.equal(report.unknown, 1);
  assert.equal(report.skipped, 1);
  const inFlight = report.outcomes.find((o) => o.outcome === "unknown");
  assert.deepEqual(inFlight?.keys, [7]);
  assert.equal(inFlight?.fingerprints.length, 1);
  // Killed before its commit: the database shows it did not commit.
  assert.equal(inFlight?.resolved, "absent");
  assert.match(
    formatReport(report),
    /unknown \/ not run: +1 \/ 1 \(unknown, checked in the database afterwards: 0 committed, 1 not\)/,
  );
  // The killed transaction was rolled back: exactly the acknowledged rows.
  assertRowCount(db, "messages", 10);
  assertAcknowledged(db, report);
  assertIntegrity(db);
  assert.equal(report.lockFreeAfterRun, true);
  assertNoLockHeld(db);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() says so when a crash did not happen: the operation failed before its crash point", async () => {
  await using db = await messagesDb();
  // Another connection holds the write lock throughout: every insert fails
  // with a lock error before it reaches the crash point after its writes.
  const other = new DatabaseSync(db.path);
  other.exec("BEGIN IMMEDIATE");
  let report: Report;
  try {
    report = await hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      writers: 1,
      strategy: none(),
      crash: { writer: 0, afterOps: 0, inTransaction: true },
    });
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  assert.equal(report.crashHappened, false);
  assert.deepEqual(report.hosts.map((h) => h.status), ["done"]);
  assert.equal(report.lockErrors, 2);
  assert.match(
    formatReport(report),
    /crash injection: +writer 0 after 0 ops \(kill, in transaction\): did not happen \(the operation failed before its crash point\)/,
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() reports a host whose writer throws, and finishes the others", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(6) },
    writers: 3,
    busyTimeoutMs: 10_000,
    crash: { writer: 0, afterOps: 1, inTransaction: false, how: "throw" },
  });
  const host = report.hosts.find((h) => h.writers.includes(0));
  assert.equal(host?.status, "crashed");
  assert.match(host?.error ?? "", /writer 0 threw/);
  assert.equal(report.crashHappened, true);
  assert.equal(host?.ended, "crash-injection");
  assert.deepEqual(
    report.outcomes.filter((o) => o.writer === 0).map((o) => o.outcome),
    ["ok", "skipped"],
  );
  assert.equal(report.ok, 5);
  assertRowCount(db, "messages", 5);
  assertAcknowledged(db, report);
  assertNoLockHeld(db);
  assert.equal(liveHosts(), 0);
});

for (const mode of ["worker", "process"] as const) {
  Deno.test(`hammer() reports a ${mode} host whose code calls Deno.exit as crashed, without waiting for the deadline`, async () => {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: {
        kind: "task",
        module: new URL("../fixtures/tasks/exit.ts", import.meta.url),
        operations: 3,
        // A clean exit code too: the host still ended before it was done.
        params: { code: mode === "worker" ? 3 : 0 },
      },
      writers: 2,
      threads: 2,
      mode,
      busyTimeoutMs: 10_000,
      // Waiting for it would end the run with a DeadlineError instead.
      deadlineMs: 60_000,
    });
    const host = report.hosts.find((h) => h.writers.includes(0));
    assert.equal(host?.status, "crashed");
    assert.equal(host?.ended, "crash");
    assert.match(
      host?.error ?? "",
      mode === "worker"
        ? /code in the host called Deno.exit\(3\)/
        : /host process 0 exited with code 0 before it was done/,
    );
    // A process sends its outcomes in batches: the first one died with it.
    assert.deepEqual(
      report.outcomes.filter((o) => o.writer === 0).map((o) => o.outcome),
      [mode === "worker" ? "ok" : "unknown", "unknown", "skipped"],
    );
    assert.equal(
      report.outcomes.filter((o) => o.writer === 1 && o.outcome === "ok")
        .length,
      3,
    );
    assertRowCount(db, "messages", 4);
    assertNoLockHeld(db);
    assert.equal(liveHosts(), 0);
  });
}

Deno.test("hammer() at the deadline does not wait out the busy timeout of Workers blocked in SQLite's busy handler once the lock is free", async () => {
  await using db = await messagesDb();
  // One writer per Worker: three of them block inside SQLite's busy handler
  // (60 s) behind the one that holds the lock. Once the holder is ended and
  // its lock is free, they cannot commit: the run ends without waiting out
  // their busy timeout (it waited min(timeout, 30 s) before).
  const started = performance.now();
  const error = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(4) },
    writers: 4,
    threads: 4,
    busyTimeoutMs: 60_000,
    holdMs: 60_000,
    deadlineMs: 3000,
  }).then(() => null, (e) => e);
  const elapsed = performance.now() - started;
  assert.ok(error instanceof DeadlineError, String(error));
  assert.equal(error.report.settings.busyWait, "sqlite");
  // Not a speed check: a bound far below the 30 s it used to wait.
  assert.ok(elapsed < 20_000, `ended ${Math.round(elapsed)} ms after it began`);
  assert.equal(error.report.unknown, 4);
  assertRowCount(db, "messages", 0);
  assertAcknowledged(db, error.report);
  assert.equal(error.report.lockFreeAfterRun, true);
  assertNoLockHeld(db);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() names what a host could not set up: a task module that fails to load there", async () => {
  await using db = await messagesDb();
  await assert.rejects(
    hammer({
      db,
      workload: {
        kind: "task",
        module: new URL("../fixtures/tasks/fails_in_host.ts", import.meta.url),
        operations: 1,
      },
      writers: 2,
    }),
    /Writer host \d could not set up \(load the driver and the task module, open .*fixture\.db\): .*this task module fails to load in a host/,
  );
  assert.equal(liveHosts(), 0);
});

for (const mode of ["worker", "process"] as const) {
  Deno.test(`hammer() stops a ${mode} run when its signal aborts, with what it recorded`, async () => {
    await using db = await messagesDb();
    const controller = new AbortController();
    const reason = new Error("enough");
    const run = hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(6) },
      writers: 2,
      mode,
      busyTimeoutMs: 60_000,
      transaction: "immediate",
      holdMs: [0, 60_000],
      deadlineMs: 120_000,
      signal: controller.signal,
    });
    // Writer 1 holds the lock for a minute in its first transaction: the
    // run is unfinished whenever this comes.
    const timer = setTimeout(() => controller.abort(reason), 1000);
    const error = await run.then(() => null, (e) => e);
    clearTimeout(timer);
    assert.ok(error instanceof RunAbortedError, String(error));
    assert.equal(error.cause, reason);
    assert.match(
      error.message,
      /^Run was aborted with \d writers? unfinished: /,
    );
    // Writer 0 may have finished before writer 1 took the lock.
    const holder = error.report.hosts.find((h) => h.writers.includes(1))!;
    assert.deepEqual([holder.status, holder.error], [
      "stopped",
      "the run was aborted",
    ]);
    const other = error.report.hosts.find((h) => h.writers.includes(0))!;
    assert.ok(
      other.status === "done" || other.error === "the run was aborted",
      `${other.status}: ${other.error}`,
    );
    assertAcknowledged(db, error.report);
    assert.equal(error.report.lockFreeAfterRun, true);
    assertNoLockHeld(db);
    assert.equal(liveHosts(), 0);
  });
}

Deno.test("hammer() with a signal aborted before the start spawns nothing and rejects with its reason", async () => {
  await using db = await messagesDb();
  const reason = new Error("not now");
  await assert.rejects(
    hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      signal: AbortSignal.abort(reason),
    }),
    (error) => error === reason,
  );
  // Aborted while a process-mode run makes its files (a Ctrl-C then): the
  // run must not go on as if nothing happened.
  const controller = new AbortController();
  const makeTempDir = Deno.makeTempDir;
  Deno.makeTempDir = async (options) => {
    const dir = await makeTempDir(options);
    if (options?.prefix?.startsWith("dbhammer-run-")) controller.abort(reason);
    return dir;
  };
  try {
    await assert.rejects(
      hammer({
        db,
        workload: { kind: "insert", table: "messages", rows: generateRows(2) },
        mode: "process",
        signal: controller.signal,
      }),
      (error) => error === reason,
    );
  } finally {
    Deno.makeTempDir = makeTempDir;
  }
  await assert.rejects(
    hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      signal: "stop" as never,
    }),
    { name: "TypeError", message: /Invalid signal: expected an AbortSignal/ },
  );
  assertRowCount(db, "messages", 0);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() ends a stuck run at its deadline, naming the writers that had not finished", async () => {
  await using db = await messagesDb();
  const error = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(2) },
    writers: 2,
    busyTimeoutMs: 0,
    transaction: "immediate",
    holdMs: 60_000,
    deadlineMs: 500,
  }).then(() => null, (e) => e);
  assert.ok(error instanceof DeadlineError, String(error));
  assert.match(
    error.message,
    /Run passed its deadline of 500 ms with 1 writer unfinished: writer \d \(operation 1 of 1\): in a transaction, holding the write lock/,
  );
  assert.equal(error.unfinished.length, 1);
  assert.equal(error.unfinished[0].phase, "holding");
  assert.equal(
    error.report.hosts.filter((h) => h.status === "stopped").length,
    1,
  );
  assert.equal(error.report.unknown, 1);
  assert.equal(error.report.busy, 1);
  assertRowCount(db, "messages", 0);
  assertAcknowledged(db, error.report);
  assert.equal(error.report.lockFreeAfterRun, true);
  assertNoLockHeld(db);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer(): two runs at once on one database both finish; set-up waits for the other's locks", async (t) => {
  for (
    const [name, mode, byPath] of [
      ["on a fixture, in Workers", "worker", false],
      ["on a plain path, in Workers", "worker", true],
      ["in processes", "process", false],
    ] as const
  ) {
    await t.step(name, async () => {
      await using db = await messagesDb();
      // Another process holds the exclusive lock while both runs set up:
      // every set-up step meets a lock and must wait for it.
      await using _held = await holdLock(db.path, "exclusive", 800);
      const runs = [0, 1].map(() =>
        hammer({
          db: byPath ? db.path : db,
          workload: {
            kind: "insert",
            table: "messages",
            rows: generateRows(40),
          },
          busyTimeoutMs: 5000,
          mode,
        })
      );
      const reports = await Promise.all(runs);
      for (const report of reports) {
        assert.equal(report.ok, 40);
        assertNoLockErrors(report);
      }
      assertRowCount(db, "messages", 80);
      assert.equal(liveHosts(), 0);
    });
  }
});

Deno.test("hammer(): a database locked for longer than set-up waits is a DatabaseError naming the file", async () => {
  await using db = await messagesDb();
  await using _held = await holdLock(db.path, "exclusive", 30_000);
  // By path and through the fixture's own connection, alike.
  for (const target of [db.path, db]) {
    await assert.rejects(
      hammer({
        db: target,
        workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      }),
      (error: Error) => {
        assert.ok(error instanceof DatabaseError, String(error));
        assert.equal(error.problem, "locked");
        assert.equal(error.path, db.path);
        assert.match(
          error.message,
          /database is locked \(another connection kept it locked for longer than the 5000 ms dbhammer waited\)/,
        );
        return true;
      },
    );
  }
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer(): a corrupt database is a DatabaseError naming the file, nothing spawned", async () => {
  await using db = await messagesDb();
  const corrupt = await corruptDatabase(db.dir);
  await assert.rejects(
    hammer({
      db: corrupt,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
    }),
    (error: Error) => {
      assert.ok(error instanceof DatabaseError, String(error));
      assert.equal(error.problem, "corrupt");
      assert.match(
        error.message,
        /corrupt\.db: database disk image is malformed/,
      );
      return true;
    },
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() refuses journalMode off on node:sqlite and a lock file it cannot create, before touching anything", async () => {
  await using db = await messagesDb();
  await assert.rejects(
    hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      journalMode: "off",
    }),
    TypeError,
    'Invalid journalMode: "off" (the node:sqlite driver refuses it',
  );
  const dir = await Deno.makeTempDir();
  try {
    // A file where the lock file's directory should be: it cannot be created.
    await Deno.writeTextFile(`${dir}/not-a-dir`, "");
    await assert.rejects(
      hammer({
        db,
        workload: { kind: "insert", table: "messages", rows: generateRows(2) },
        strategy: fileLock({ path: `${dir}/not-a-dir/x/../lock` }),
      }),
      RangeError,
      "Invalid fileLock path",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertRowCount(db, "messages", 0);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer() with a signal aborted before the start writes nothing: no journal switch, no counter table", async () => {
  await using db = await messagesDb();
  await assert.rejects(
    hammer({
      db,
      workload: { kind: "counter", increments: 1 },
      journalMode: "wal",
      signal: AbortSignal.abort(new Error("not now")),
    }),
    /not now/,
  );
  const mode = db.connection.prepare("PRAGMA journal_mode").get() as {
    journal_mode: string;
  };
  assert.equal(mode.journal_mode, "delete");
  const tables = db.connection.prepare(
    "SELECT name FROM sqlite_schema WHERE type = 'table'",
  ).all().map((r) => r.name);
  assert.deepEqual(tables, ["messages"]);
  assert.equal(liveHosts(), 0);
});

Deno.test("hammer(): a task stuck in a synchronous call is named so, and liveHosts() counts its Worker until it returns", async (t) => {
  await using db = await messagesDb();
  for (const how of ["spin", "await"] as const) {
    await t.step(
      how === "spin" ? "a synchronous loop" : "an awaited promise",
      async () => {
        const flags = new Int32Array(new SharedArrayBuffer(8));
        const controller = new AbortController();
        const run = hammer({
          db,
          workload: {
            kind: "task",
            module: new URL("../fixtures/tasks/block.ts", import.meta.url),
            operations: 1,
            params: { flags, how },
            transaction: false,
          },
          writers: 1,
          signal: controller.signal,
        }).then(() => null, (e) => e);
        // Stopped only once the task is certainly inside its call.
        while (Atomics.load(flags, 1) === 0) await delay(5);
        controller.abort();
        const error = await run;
        assert.ok(error instanceof RunAbortedError, String(error));
        if (how === "spin") {
          assert.match(
            error.message,
            /The task of writer 0 is stuck in a synchronous call, where a Worker cannot be stopped: its thread \(and this process\) runs on until the call returns, and liveHosts\(\) counts it/,
          );
          assert.equal(liveHosts(), 1);
        } else {
          assert.match(
            error.message,
            /The task of writer 0 was awaiting a promise that had not settled; its Worker was stopped/,
          );
          assert.doesNotMatch(error.message, /synchronous call/);
          assert.equal(liveHosts(), 0);
        }
        Atomics.store(flags, 0, 1);
        for (let i = 0; i < 400 && liveHosts() > 0; i++) await delay(25);
        assert.equal(liveHosts(), 0);
      },
    );
  }
});

Deno.test("hammer(): crash injection's throw in a Worker leaves stderr clean; the crash is in the report", async () => {
  await using db = await messagesDb();
  const script = `import { hammer, generateRows } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
const report = await hammer({
  db: ${JSON.stringify(db.path)},
  workload: { kind: "insert", table: "messages", rows: generateRows(4) },
  writers: 2,
  busyTimeoutMs: 5000,
  crash: { writer: 0, afterOps: 0, inTransaction: false, how: "throw" },
});
console.log(JSON.stringify(report.hosts.map((h) => [h.status, h.error])));`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(stderr, "");
  const hosts = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual(hosts[0][0], "crashed");
  assert.match(hosts[0][1], /writer 0 threw/);
});

Deno.test("hammer() reports progress while the writers run, and the final counts last", async () => {
  for (const mode of ["worker", "process"] as const) {
    await using db = await messagesDb();
    const seen: RunProgress[] = [];
    const report = await hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(8) },
      writers: 4,
      // 8 transactions holding the lock 150 ms each, one after another: the
      // run lasts over a second, so progress is reported during it.
      holdMs: 150,
      busyTimeoutMs: 10_000,
      mode,
      onProgress: (p) => seen.push(p),
    });
    assert.ok(seen.length >= 2, `${seen.length} progress reports`);
    const last = seen.at(-1)!;
    assert.deepEqual(
      [last.committed, last.lockErrors, last.intended],
      [report.ok, report.lockErrors, report.intended],
    );
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i].committed >= seen[i - 1].committed);
      assert.ok(seen[i].elapsedMs >= seen[i - 1].elapsedMs);
    }
    // Before the end, fewer than all had committed.
    assert.ok(seen[0].committed < 8);
  }
  // With lock errors: the final count is the report's.
  await using db = await messagesDb();
  const seen: RunProgress[] = [];
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(6) },
    writers: 3,
    holdMs: 300,
    busyTimeoutMs: 0,
    onProgress: (p) => seen.push(p),
  });
  assert.ok(report.lockErrors > 0);
  assert.equal(seen.at(-1)!.lockErrors, report.lockErrors);
  assert.equal(seen.at(-1)!.committed, report.ok);
  await assert.rejects(
    hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(2) },
      onProgress: "yes" as never,
    }),
    TypeError,
    "Invalid onProgress: expected a function, got string",
  );
});
