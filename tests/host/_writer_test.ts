import assert from "node:assert/strict";
import {
  assertAllOrNothing,
  assertCounter,
  assertLockErrors,
  assertNoLockErrors,
  busyTimeout,
  compose,
  DeadlineError,
  fixtureDb,
  formatReport,
  hammer,
  type JournalMode,
  liveHosts,
  none,
  queue,
  type Report,
  retry,
  rowCount,
  type Strategy,
  type TransactionMode,
} from "../../mod.ts";
import { AssertionError } from "node:assert";
import { messagesDb } from "../_helpers.ts";
import { DatabaseSync } from "node:sqlite";
import { allocateShared, AtomicInts } from "../../lib/host/_memory.ts";
import { runWriter } from "../../lib/host/_writer.ts";
import {
  prepareWriter,
  type WriterOutcome,
} from "../../lib/host/_writer_context.ts";
import { resolvePlan } from "../../lib/_resolve_plan.ts";
import { openConnection } from "../../lib/sqlite/_connection.ts";

// Read-modify-write of a counter, and the transaction-mode trap.

Deno.test("counter: 8 writers × 50 deferred read-then-write increments with retry lose no update", async () => {
  await using db = await fixtureDb();
  const report = await hammer({
    db,
    workload: { kind: "counter", increments: 50 },
    writers: 8,
    holdMs: 2,
    strategy: compose(
      busyTimeout(10_000),
      retry({ attempts: 10_000, delayMs: 1, maxDelayMs: 20 }),
    ),
  });
  assert.ok(report.strategy.retries > 0, "writers collided and retried");
  assert.equal(report.ok, 400);
  assert.deepEqual(report.counter, {
    before: 0,
    after: 400,
    expected: 400,
    lost: 0,
  });
  assertCounter(db, report);
  assert.equal(liveHosts(), 0);
});

Deno.test("counter: without a transaction, lost updates are detected and named", async () => {
  await using db = await fixtureDb();
  const report = await hammer({
    db,
    workload: { kind: "counter", increments: 50, transaction: false },
    writers: 8,
    holdMs: 2,
    busyTimeoutMs: 10_000,
  });
  assert.equal(report.ok, 400, "every write reported success");
  assert.ok(
    report.counter !== null && report.counter.lost > 0,
    "and yet updates were lost",
  );
  assert.equal(report.counter.expected, 400);
  assert.throws(() => assertCounter(db, report), (error: unknown) => {
    assert.ok(error instanceof AssertionError);
    assert.match(
      error.message,
      /Expected counter counter = 400 \(0 before \+ 400 acknowledged increments of 1\), found \d+: \d+ updates lost; writers that read the same value: [\d, ]+ read \d+ \(\d+ of \d+ lost\)/,
    );
    return true;
  });
});

/**
 * Two writers, one increment each: both read, then writer 0 writes at 100 ms
 * and writer 1 at 300 ms, with a busy timeout far longer than the run's
 * deadline: any busy error is one SQLite did not wait for.
 */
function trap(db: string, transaction: TransactionMode): Promise<Report> {
  return hammer({
    db,
    workload: { kind: "counter", increments: 1 },
    writers: 2,
    holdMs: [100, 300],
    transaction,
    busyTimeoutMs: 60_000,
    deadlineMs: 20_000,
  });
}

for (const journalMode of ["delete", "wal"] as JournalMode[]) {
  Deno.test(`${journalMode}: a deferred read-then-write gets a busy error at once, even with a 60 s busy timeout`, async () => {
    await using db = await fixtureDb({ journalMode });
    const report = await trap(db.path, "deferred").catch((error) => {
      if (error instanceof DeadlineError) {
        assert.fail(`SQLite waited: ${error.message}`);
      }
      throw error;
    });
    assert.equal(report.settings.journalMode, journalMode);
    assert.equal(report.ok, 1);
    assert.equal(report.busy, 1);
    const failed = report.outcomes.find((o) => o.outcome === "busy");
    assert.equal(failed?.writer, 1);
    // DELETE: the read lock blocks the other's commit, so SQLite refuses to
    // wait (5). WAL: the other committed after this snapshot (517).
    const code = journalMode === "wal" ? 517 : 5;
    assert.equal(failed?.code, code);
    assert.deepEqual(
      report.errorsByCode.map((e) => [e.code, e.name]),
      [[code, journalMode === "wal" ? "SQLITE_BUSY_SNAPSHOT" : "SQLITE_BUSY"]],
    );
    assertCounter(db, report);
  });

  Deno.test(`${journalMode}: the same read-then-write in an immediate transaction waits its turn: no errors`, async () => {
    await using db = await fixtureDb({ journalMode });
    const report = await trap(db.path, "immediate");
    assert.equal(report.ok, 2);
    assert.equal(report.lockErrors, 0);
    assert.deepEqual(report.counter, {
      before: 0,
      after: 2,
      expected: 2,
      lost: 0,
    });
    assertCounter(db, report);
  });
}

const TASKS = new URL("../../fixtures/tasks/", import.meta.url);

Deno.test("task: a custom module runs under the strategy, once per operation", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: {
      kind: "task",
      module: new URL("insert_message.ts", TASKS),
      operations: 5,
      params: { prefix: "t" },
    },
    writers: 4,
    holdMs: 2,
    strategy: queue(),
  });
  assert.equal(
    report.settings.workload.kind === "task"
      ? report.settings.workload.module
      : null,
    new URL("insert_message.ts", TASKS).href,
  );
  assertNoLockErrors(report);
  assert.equal(report.ok, 20);
  assert.equal(rowCount(db, "messages", "msg LIKE 't-w%'"), 20);
  assert.equal(rowCount(db, "messages", "msg = 't-w3-4'"), 1);
  assert.match(
    formatReport(report),
    /^dbhammer: task file:.*insert_message.ts/,
  );
  assert.match(
    formatReport(report),
    /transactions: +deferred, one task call each, hold 2 ms/,
  );
});

Deno.test("task: a writer stuck forever is ended at the deadline, holding the lock while the other waits", async () => {
  await using db = await messagesDb();
  const error = await hammer({
    db,
    workload: {
      kind: "task",
      module: new URL("stuck.ts", TASKS),
      operations: 1,
    },
    writers: 2,
    transaction: "immediate",
    strategy: queue(),
    deadlineMs: 1000,
  }).then(() => null, (e) => e);
  assert.ok(error instanceof DeadlineError, String(error));
  assert.match(
    error.message,
    /with 2 writers unfinished: writer \d \(operation 1 of 1\): (in a transaction, holding the write lock; writer \d \(operation 1 of 1\): waiting for the write lock \(the strategy's queue|waiting for the write lock \(the strategy's queue or file lock\), in no transaction; writer \d \(operation 1 of 1\): in a transaction, holding the write lock\. )/,
  );
  // The task awaits a promise that never settles: its Worker's event loop
  // turns, so it can be stopped, and the message says which it was.
  assert.match(
    error.message,
    /The task of writer \d was awaiting a promise that had not settled; its Worker was stopped/,
  );
  assert.doesNotMatch(error.message, /synchronous call/);
  assert.equal(error.report.unknown, 1);
  assert.equal(error.report.skipped, 1);
  assert.equal(error.report.lockFreeAfterRun, true);
  // The stuck transaction was rolled back when its host was stopped.
  assert.equal(rowCount(db, "messages"), 0);
  assert.equal(liveHosts(), 0);
});

Deno.test("task: a module that cannot load or exports no function is refused before any writer starts", async () => {
  await using db = await messagesDb();
  const run = (module: string | URL) =>
    hammer({
      db,
      workload: { kind: "task", module, operations: 1 },
      writers: 1,
    });
  await assert.rejects(run(new URL("missing.ts", TASKS)), {
    name: "TypeError",
    message: /Invalid task module file:.*missing.ts: it cannot be loaded/,
  });
  await assert.rejects(run(new URL("no_function.ts", TASKS)), {
    name: "TypeError",
    message:
      /Invalid task module file:.*no_function.ts: it exports no function as default or as "task" \(exports: answer\)/,
  });
  await assert.rejects(run("relative/task.ts"), {
    name: "TypeError",
    message:
      /Invalid module: "relative\/task.ts" \(expected an absolute path or a URL/,
  });
  assert.equal(liveHosts(), 0);
});

Deno.test("parentChildren: a parent and its children commit all or nothing when writers fail", async () => {
  await using db = await fixtureDb();
  const report = await hammer({
    db,
    workload: { kind: "parentChildren", children: 5, operations: 4 },
    writers: 4,
    holdMs: 20,
    strategy: none(),
  });
  assertLockErrors(report, { min: 1 });
  assertAllOrNothing(db, report);
  const text = formatReport(report);
  assert.match(
    text,
    /^dbhammer: parents and children in "parents" and "children"/,
  );
  assert.match(
    text,
    /transactions: +deferred, a parent and 5 children each, hold 20 ms/,
  );
  // No row count: only inserts know their rows ahead.
  assert.match(text, /done\/intended: +\d+\/16 operations \([\d.]+%\)\n/);
  assert.equal(rowCount(db, "parents"), report.ok);
  assert.equal(rowCount(db, "children"), report.ok * 5);
  // The assertion sees a broken family.
  const first = report.outcomes.find((o) => o.outcome === "ok")!;
  db.connection.exec(
    `DELETE FROM children WHERE id = (SELECT min(id) FROM children WHERE parent_id = ${
      first.rowids[0]
    })`,
  );
  db.connection.exec("INSERT INTO children (parent_id, i) VALUES (999999, 0)");
  assert.throws(() => assertAllOrNothing(db, report), (error: unknown) => {
    assert.ok(error instanceof AssertionError);
    assert.match(
      error.message,
      new RegExp(
        `1 parents without exactly 5 children: parent ${
          first.rowids[0]
        } \\(writer ${first.writer} op ${first.seq}\\) has 4`,
      ),
    );
    assert.match(error.message, /1 children without a parent/);
    return true;
  });
});

Deno.test("parentChildren: a writer killed between parent and commit leaves nothing behind", async () => {
  await using db = await fixtureDb();
  const report = await hammer({
    db,
    workload: { kind: "parentChildren", children: 5, operations: 3 },
    writers: 3,
    busyTimeoutMs: 10_000,
    crash: { writer: 2, afterOps: 1, inTransaction: true },
  });
  assert.deepEqual(
    report.outcomes.filter((o) => o.writer === 2).map((o) => o.outcome),
    ["ok", "unknown", "skipped"],
  );
  assertAllOrNothing(db, report);
  assert.equal(rowCount(db, "parents"), 7);
  assert.equal(rowCount(db, "children"), 35);
});

Deno.test("task: each failed operation reports its own error text, from Workers and from processes", async () => {
  for (const mode of ["worker", "process"] as const) {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: {
        kind: "task",
        module: new URL("fail_some.ts", TASKS),
        operations: 8,
      },
      writers: 4,
      threads: 2,
      mode,
      // The task's own INSERT cannot wait without blocking its shared thread:
      // BEGIN IMMEDIATE takes the write lock, and waits, before the task runs.
      transaction: "immediate",
      busyTimeoutMs: 10_000,
    });
    assert.equal(report.outcomes.length, 32, mode);
    for (const o of report.outcomes) {
      const expected = o.seq % 2 === 1
        ? `refused w${o.writer}-${o.seq}`
        : o.seq % 4 === 2
        ? "refused, as always"
        : null;
      assert.equal(
        o.message,
        expected,
        `${mode}: writer ${o.writer}, op ${o.seq}`,
      );
      assert.equal(o.outcome, expected === null ? "ok" : "error", mode);
    }
    assert.equal(report.ok, 8, mode);
    assert.equal(rowCount(db, "messages"), 8, mode);
  }
});

Deno.test("lock tenure: each commit's [lockAtMs, commitAtMs] follows the last one's, though whole operations overlap", async (t) => {
  const cases: {
    mode: "worker" | "process";
    transaction: TransactionMode;
    workload: "insert" | "counter";
  }[] = [
    { mode: "worker", transaction: "deferred", workload: "insert" },
    { mode: "worker", transaction: "immediate", workload: "counter" },
    { mode: "process", transaction: "deferred", workload: "insert" },
  ];
  for (const { mode, transaction, workload } of cases) {
    await t.step(`${mode}, ${transaction}, ${workload}`, async () => {
      await using db = await messagesDb();
      const report = await hammer({
        db,
        workload: workload === "insert"
          ? {
            kind: "insert",
            table: "messages",
            rows: Array.from({ length: 12 }, (_, i) => ({ msg: `m${i}` })),
          }
          : { kind: "counter", increments: 2 },
        writers: 6,
        mode,
        transaction,
        holdMs: 15, // inside the tenure: every operation waits for others'
        strategy: busyTimeout(5000),
      });
      assert.equal(report.ok, 12, formatReport(report));
      const ok = report.outcomes.filter((o) => o.outcome === "ok")
        .sort((a, b) => a.commitSeq! - b.commitSeq!);
      for (const o of ok) {
        assert.ok(o.lockAtMs !== null && o.commitAtMs !== null, `${o.writer}`);
        assert.ok(o.startMs! <= o.lockAtMs && o.commitAtMs <= o.endMs!);
        assert.ok(o.commitAtMs - o.lockAtMs >= 14.9, "the hold is inside");
      }
      for (let i = 1; i < ok.length; i++) {
        assert.ok(
          ok[i].lockAtMs! > ok[i - 1].commitAtMs!,
          `commit #${ok[i].commitSeq} took the lock at ${
            ok[i].lockAtMs
          } ms, before #${ok[i - 1].commitSeq} called COMMIT at ${
            ok[i - 1].commitAtMs
          } ms`,
        );
      }
      // Whole operations do overlap: every writer's first one starts at the
      // barrier, and the first to commit holds the lock for 15 ms.
      const firsts = ok.filter((o) => o.seq === 0);
      assert.ok(firsts[1].startMs! < firsts[0].endMs!);
    });
  }
});

Deno.test("lock tenure: unknown where the write is its own transaction", async () => {
  await using db = await fixtureDb();
  const report = await hammer({
    db,
    workload: { kind: "counter", increments: 2, transaction: false },
    writers: 2,
    strategy: busyTimeout(5000),
  });
  assert.ok(report.ok > 0);
  for (const o of report.outcomes) {
    assert.equal(o.lockAtMs, null);
    assert.equal(o.commitAtMs, null);
  }
});

// The operation loop alone, on a real connection in this thread: another
// connection's lock makes each attempt's outcome certain.

/** A writer of `rows` on `db.path`, run here; its records. */
async function runAlone(
  path: string,
  strategy: Strategy,
  rows: string[],
): Promise<WriterOutcome[]> {
  const settings = resolvePlan({
    db: path,
    workload: {
      kind: "insert",
      table: "messages",
      rows: rows.map((msg) => ({ msg })),
    },
    writers: 1,
    strategy,
  });
  const connection = openConnection(path, { busyTimeoutMs: 0 });
  const records: WriterOutcome[] = [];
  try {
    await runWriter({
      id: 0,
      settings,
      connection,
      statements: prepareWriter(connection, settings),
      operations: [{ seq: 0, rows: rows.map((msg) => [msg]) }],
      shared: new AtomicInts(allocateShared(1)),
      queue: null,
      record: (outcome) => records.push(outcome),
    });
  } finally {
    connection.close();
  }
  return records;
}

Deno.test("operation loop: a free lock commits at once, with its tenure and commit number", async () => {
  await using db = await messagesDb();
  const [o] = await runAlone(db.path, none(), ["a", "b"]);
  assert.equal(o.outcome, "ok");
  assert.equal(o.attempts, 1);
  assert.equal(o.commitSeq, 1);
  assert.equal(o.rowids.length, 2);
  assert.ok(o.lockAtMs! >= o.startMs! && o.commitAtMs! >= o.lockAtMs!);
  assert.ok(o.endMs! >= o.commitAtMs!);
  assert.equal(rowCount(db, "messages"), 2);
});

Deno.test("operation loop: a held lock is a busy error after every try, each try rolled back", async () => {
  await using db = await messagesDb();
  const other = new DatabaseSync(db.path);
  other.exec("BEGIN IMMEDIATE"); // held until every try is over
  try {
    const [o] = await runAlone(
      db.path,
      retry({ attempts: 3, delayMs: 20, maxDelayMs: 20, jitter: 0 }),
      ["a"],
    );
    assert.equal(o.outcome, "busy");
    assert.equal(o.code! & 0xff, 5);
    assert.equal(o.attempts, 3);
    assert.equal(o.commitSeq, null);
    assert.equal(o.lockAtMs, null);
    // Two retry delays of 20 ms are lock wait.
    assert.ok(o.lockWaitMs >= 39, `${o.lockWaitMs}`);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  assert.equal(rowCount(db, "messages"), 0);
});

Deno.test("operation loop: a lock released during the retry delay commits on the next try", async () => {
  await using db = await messagesDb();
  const other = new DatabaseSync(db.path);
  other.exec("BEGIN IMMEDIATE");
  // The first try runs before any timer: it meets the lock. The release at
  // 50 ms comes before the retry at 300 ms.
  const release = setTimeout(() => other.exec("ROLLBACK"), 50);
  try {
    const [o] = await runAlone(
      db.path,
      retry({ attempts: 2, delayMs: 300, maxDelayMs: 300, jitter: 0 }),
      ["a"],
    );
    assert.equal(o.outcome, "ok");
    assert.equal(o.attempts, 2);
    assert.equal(o.commitSeq, 1);
    assert.ok(o.lockWaitMs >= 299, `${o.lockWaitMs}`);
  } finally {
    clearTimeout(release);
    other.close();
  }
  assert.equal(rowCount(db, "messages"), 1);
});
