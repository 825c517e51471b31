// The scenarios of the issue, on real SQLite files and real Workers. Where a
// test needs writers to overlap, a hold inside the transaction makes it
// certain: every writer is released by the same barrier, and a writer holding
// the lock for hundreds of milliseconds is certainly met by the others.
import assert from "node:assert/strict";
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  createTable,
  DEFAULT_MAX_THREADS,
  type FixtureDb,
  fixtureDb,
  generateRows,
  insertRows,
  insertRowsInParallel,
  liveHosts,
  type Report,
} from "../mod.ts";
import { canMakeImmutable, chattr, messagesDb } from "./_helpers.ts";

const immutable = await canMakeImmutable();

Deno.test("insertRowsInParallel() writes 5 rows from 5 writers into a new table", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(5), {
    table: "messages",
    busyTimeoutMs: 5000,
  });
  assert.equal(report.settings.writers, 5);
  assert.equal(report.settings.threads, Math.min(5, DEFAULT_MAX_THREADS));
  assert.equal(report.hosts.length, report.settings.threads);
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 5);
  assertAcknowledged(db, report);
  assertRowOrder(db, "messages", { order: "per-writer", report });
  assert.equal(liveHosts(), 0);
});

Deno.test("insertRowsInParallel() adds 100 parallel rows to 10 000 sequential ones: 10 100, all acknowledged", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", generateRows(10_000));
  // 100 writers released together wait their turn through SQLite's busy
  // handler; a generous timeout keeps a slow CI machine from failing them.
  const report = await insertRowsInParallel(db, generateRows(100), {
    table: "messages",
    busyTimeoutMs: 30_000,
  });
  assert.equal(report.settings.writers, 100);
  assert.deepEqual(report.baseline, {
    rows: 10_000,
    maxRowid: 10_000,
    counter: null,
  });
  assertNoLockErrors(report);
  assert.equal(report.ok, 100);
  assertRowCount(db, "messages", 10_100);
  assertAcknowledged(db, report);
  assertIntegrity(db);
  assert.equal(new Set(report.outcomes.map((o) => o.commitSeq)).size, 100);
  assert.equal(liveHosts(), 0);
});

/**
 * The example of a document-table library: 2 writers × 3 rows of 4 MiB, six
 * identical payloads (no unique column: rows are told apart by rowid).
 */
function bigDocs(
  db: FixtureDb,
  busyTimeoutMs: number,
  holdMs: number,
): Promise<Report> {
  createTable(db, { name: "docs", columns: { data: "TEXT" } });
  const payload = "p".repeat(4 * 1024 * 1024);
  const rows = Array.from({ length: 6 }, () => ({ data: payload }));
  return insertRowsInParallel(db, rows, {
    table: "docs",
    writers: 2,
    busyTimeoutMs,
    holdMs,
  });
}

Deno.test("insertRowsInParallel() with a long busy timeout: 2 writers × 3 rows of 4 MiB, none lost", async () => {
  await using db = await fixtureDb();
  const report = await bigDocs(db, 10_000, 50);
  assertNoLockErrors(report);
  assertRowCount(db, "docs", 6);
  assertAcknowledged(db, report);
  assertRowOrder(db, "docs", { order: "per-writer", report });
  assert.equal(report.rowsWritten, 6);
});

Deno.test("insertRowsInParallel() with busy timeout 0: 2 writers × 3 rows of 4 MiB, a lock error, exactly the acknowledged rows", async () => {
  await using db = await fixtureDb();
  const report = await bigDocs(db, 0, 300);
  assertLockErrors(report, { min: 1 });
  assert.equal(report.ok + report.lockErrors, 6);
  assertRowCount(db, "docs", report.ok);
  assertAcknowledged(db, report);
  assertIntegrity(db);
});

Deno.test("insertRowsInParallel() 3 writers × 2 rows without a hold: 6 rows", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    busyTimeoutMs: 5000,
    holdMs: 0,
  });
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 6);
  assertAcknowledged(db, report);
});

Deno.test("insertRowsInParallel() 3 writers × 2 rows holding the lock, busy timeout 0: lock errors, the run ends", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    busyTimeoutMs: 0,
    holdMs: 300,
  });
  assertLockErrors(report, { min: 1 });
  // Every failure is a busy error, reported per writer.
  assert.equal(report.busy, report.lockErrors);
  assert.equal(report.errorsByCode[0].code, 5);
  assert.equal(report.perWriter.reduce((n, w) => n + w.busy, 0), report.busy);
  assert.ok(
    report.perWriter.every((w) => w.intended === 2 && w.status === "done"),
  );
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
  assert.throws(
    () => assertNoLockErrors(report),
    /Expected no lock errors, found/,
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("insertRowsInParallel() groups rows into transactions with rowsPerTransaction", async () => {
  await using db = await messagesDb();
  const report = await insertRowsInParallel(db, generateRows(20), {
    table: "messages",
    writers: 2,
    rowsPerTransaction: 5,
    transaction: "immediate",
    busyTimeoutMs: 5000,
  });
  assert.equal(report.intended, 4);
  assert.equal(report.rowsIntended, 20);
  assert.deepEqual(report.outcomes.map((o) => o.keys.length), [5, 5, 5, 5]);
  assert.deepEqual(report.outcomes[0].keys, [0, 2, 4, 6, 8]);
  assertRowCount(db, "messages", 20);
  assertAcknowledged(db, report);
  // Each transaction's rows are contiguous: the lock is held throughout.
  assertRowOrder(db, "messages", { order: "per-writer", report });
});

Deno.test("insertRowsInParallel() applies the connection settings inside each writer", async () => {
  await using db = await messagesDb({
    journalMode: "wal",
    synchronous: "normal",
  });
  const report = await insertRowsInParallel(db, generateRows(4), {
    table: "messages",
    busyTimeoutMs: 5000,
  });
  assert.equal(report.settings.journalMode, "wal");
  assert.equal(report.settings.synchronous, "normal");
  assert.equal(report.settings.busyTimeoutMs, 5000);
  assertRowCount(db, "messages", 4);
  // Leaving WAL needs the only connection: a second one (on the path) is refused clearly.
  await assert.rejects(
    insertRowsInParallel(db.path, generateRows(2), {
      table: "messages",
      journalMode: "delete",
    }),
    /Cannot switch .* from journal_mode wal to delete: database is locked/,
  );
  const explicit = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    journalMode: "delete",
    synchronous: "full",
    busyTimeoutMs: 0,
  });
  assert.equal(explicit.settings.journalMode, "delete");
  assert.equal(explicit.settings.busyTimeoutMs, 0);
  assert.equal(
    (db.connection.prepare("PRAGMA journal_mode").get() as {
      journal_mode: string;
    }).journal_mode,
    "delete",
  );
  assertRowCount(db, "messages", 4 + explicit.ok);
});

Deno.test("insertRowsInParallel() rejects bad input with a clear error, spawning nothing", async (t) => {
  await using db = await fixtureDb();
  createTable(db, {
    name: "messages",
    columns: { msg: "TEXT NOT NULL", n: "INTEGER NOT NULL" },
  });
  const rows = [{ msg: "a", n: 1 }, { msg: "b", n: 2 }];
  const cases: [string, () => Promise<unknown>, RegExp, string][] = [
    [
      "unknown option",
      () =>
        insertRowsInParallel(
          db,
          rows,
          { table: "messages", writer: 2 } as never,
        ),
      /Unknown insertRowsInParallel option: writer/,
      "TypeError",
    ],
    [
      "negative writers",
      () => insertRowsInParallel(db, rows, { table: "messages", writers: -1 }),
      /Invalid writers: -1/,
      "RangeError",
    ],
    [
      "non-integer writers",
      () => insertRowsInParallel(db, rows, { table: "messages", writers: 1.5 }),
      /Invalid writers: 1.5/,
      "RangeError",
    ],
    [
      "writers as a string",
      () =>
        insertRowsInParallel(db, rows, {
          table: "messages",
          writers: "2" as never,
        }),
      /Invalid writers: "2"/,
      "TypeError",
    ],
    [
      "more writers than rows",
      () => insertRowsInParallel(db, rows, { table: "messages", writers: 3 }),
      /Invalid writers: 3 \(more than the 2 rows/,
      "RangeError",
    ],
    [
      "threads above writers",
      () => insertRowsInParallel(db, rows, { table: "messages", threads: 3 }),
      /Invalid threads: 3/,
      "RangeError",
    ],
    [
      "negative hold",
      () => insertRowsInParallel(db, rows, { table: "messages", holdMs: -5 }),
      /Invalid holdMs: -5/,
      "RangeError",
    ],
    [
      "bad transaction",
      () =>
        insertRowsInParallel(db, rows, {
          table: "messages",
          transaction: "lazy" as never,
        }),
      /Invalid transaction: "lazy"/,
      "TypeError",
    ],
    [
      "missing table option",
      () => insertRowsInParallel(db, rows, {} as never),
      /Invalid table: undefined/,
      "TypeError",
    ],
    [
      "missing table",
      () => insertRowsInParallel(db, rows, { table: "nope" }),
      /Invalid table: "nope" does not exist/,
      "RangeError",
    ],
    [
      "empty rows",
      () => insertRowsInParallel(db, [], { table: "messages" }),
      /Invalid rows: empty/,
      "RangeError",
    ],
    [
      "row missing a column",
      () =>
        insertRowsInParallel(db, [{ msg: "a", n: 1 }, { msg: "b" }], {
          table: "messages",
        }),
      /Invalid rows\[1\]: its columns \(msg\) differ/,
      "TypeError",
    ],
    [
      "rows missing a NOT NULL column",
      () => insertRowsInParallel(db, [{ msg: "a" }], { table: "messages" }),
      /lack column "n" of messages, which is NOT NULL/,
      "TypeError",
    ],
    [
      "row with an unknown column",
      () =>
        insertRowsInParallel(db, [{ msg: "a", n: 1, x: 2 }], {
          table: "messages",
        }),
      /"x" is not a column of messages/,
      "TypeError",
    ],
    [
      "row value that cannot be stored",
      () =>
        insertRowsInParallel(db, [{ msg: {} as never, n: 1 }], {
          table: "messages",
        }),
      /Invalid rows\[0\].msg: object cannot be stored/,
      "TypeError",
    ],
    [
      "an integer SQLite cannot bind",
      () =>
        insertRowsInParallel(db, [{ msg: "a" }, { msg: 2n ** 70n }], {
          table: "messages",
        }),
      /Invalid rows\[1\]\.msg: 1180591620717411303424n is outside SQLite's 64-bit integer range/,
      "RangeError",
    ],
    [
      "unwritable path",
      () =>
        insertRowsInParallel("/no/such/dir/x.db", rows, { table: "messages" }),
      /Cannot open database \/no\/such\/dir\/x.db: no such file/,
      "DatabaseError",
    ],
    [
      "a directory as path",
      () => insertRowsInParallel(db.dir, rows, { table: "messages" }),
      /not a file/,
      "DatabaseError",
    ],
    [
      "a table without rowid",
      () => {
        db.connection.exec(
          "CREATE TABLE IF NOT EXISTS keyed (k TEXT PRIMARY KEY, msg TEXT) WITHOUT ROWID",
        );
        return insertRowsInParallel(db, [{ k: "a", msg: "x" }], {
          table: "keyed",
        });
      },
      /Invalid table: "keyed" has no rowid \(a WITHOUT ROWID table or a view\)/,
      "TypeError",
    ],
  ];
  const before = [...Deno.readDirSync(db.dir)].map((e) => e.name).sort();
  for (const [name, call, message, errorName] of cases) {
    await t.step(name, async () => {
      await assert.rejects(call(), (error: Error) => {
        assert.match(error.message, message);
        assert.equal(error.name, errorName);
        return true;
      });
      assert.equal(liveHosts(), 0);
    });
  }
  assert.deepEqual(
    [...Deno.readDirSync(db.dir)].map((e) => e.name).sort(),
    before,
  );
  assertRowCount(db, "messages", 0);
});

Deno.test({
  name:
    "insertRowsInParallel() refuses a database it cannot write, before spawning",
  ignore: !immutable,
  async fn(): Promise<void> {
    await using db = await messagesDb();
    const copy = `${db.dir}/readonly.db`;
    await Deno.copyFile(db.path, copy);
    assert.ok(await chattr("+i", copy));
    try {
      await assert.rejects(
        insertRowsInParallel(copy, generateRows(2), { table: "messages" }),
        /Cannot write to database .*readonly.db: attempt to write a readonly database/,
      );
      assert.equal(liveHosts(), 0);
    } finally {
      await chattr("-i", copy);
    }
    assertRowCount(copy, "messages", 0);
  },
});
