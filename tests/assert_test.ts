import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  type FixtureDb,
  fixtureDb,
  generateRows,
  insertRows,
  insertRowsInParallel,
  type Outcome,
  type Report,
} from "../mod.ts";
import { buildReport } from "../lib/report/report.ts";
import { resolvePlan } from "../lib/_resolve_plan.ts";
import { fingerprint } from "../lib/_fingerprint.ts";
import { messagesDb } from "./_helpers.ts";

/**
 * Inserts one row per entry of `writers` (in that order) and builds the report
 * a run would have made if those writers had written them.
 */
function writtenBy(
  db: FixtureDb,
  writers: number[],
  failed: number[] = [],
): Report {
  const rows = writers.map((w, i) => ({ msg: `w${w}-${i}` }));
  const writerCount = Math.max(...writers) + 1;
  const settings = {
    ...resolvePlan({
      db,
      workload: { kind: "insert", table: "messages", rows },
      writers: writerCount,
    }),
    journalMode: "delete" as const,
  };
  const rowids = insertRows(
    db,
    "messages",
    rows.filter((_, i) => !failed.includes(i)),
  );
  const seqs = new Map<number, number>();
  let next = 0;
  const outcomes: Outcome[] = rows.map((row, key) => {
    const writer = writers[key];
    const seq = seqs.get(writer) ?? 0;
    seqs.set(writer, seq + 1);
    const ok = !failed.includes(key);
    return {
      writer,
      seq,
      keys: [key],
      outcome: ok ? "ok" : "busy",
      code: ok ? null : 5,
      message: ok ? null : "database is locked",
      attempts: 1,
      startMs: key,
      endMs: key + 1,
      lockWaitMs: 0,
      txMs: 1,
      lockAtMs: null,
      commitAtMs: null,
      commitSeq: ok ? next + 1 : null,
      rowids: ok ? [rowids[next++]] : [],
      read: null,
      wrote: null,
      resolved: null,
      fingerprints: [fingerprint([row.msg])],
    };
  });
  return buildReport({
    settings,
    sqliteVersion: "test",
    startedAtMs: 0,
    baseline: { rows: 0, maxRowid: 0, counter: null },
    outcomes,
    hosts: [],
    durationMs: rows.length,
    lockFreeAfterRun: true,
  });
}

function failsWith(fn: () => void, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      error instanceof AssertionError,
      `expected an AssertionError, got ${error}`,
    );
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("assertRowCount() passes on the exact count and says how far off it is", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", generateRows(5));
  assertRowCount(db, "messages", 5);
  failsWith(
    () => assertRowCount(db, "messages", 6),
    /Expected 6 rows in messages, found 5 \(1 missing\)/,
  );
  failsWith(
    () => assertRowCount(db, "messages", 3),
    /Expected 3 rows in messages, found 5 \(2 extra\)/,
  );
  assert.throws(() => assertRowCount(db, "messages", "5" as never), {
    name: "TypeError",
    message: /Invalid expected row count: "5"/,
  });
});

Deno.test("assertions that need an insert run's rows refuse other runs and other tables", async () => {
  await using db = await messagesDb();
  const report = writtenBy(db, [0, 1, 0, 1]);
  db.connection.exec("CREATE TABLE other (x)");
  assert.throws(
    () => assertRowOrder(db, "other", { order: "grouped", report }),
    {
      name: "TypeError",
      message:
        /Invalid table: "other" is not the table the run wrote \("messages"\)/,
    },
  );
  const counterRun = {
    ...report,
    settings: {
      ...report.settings,
      workload: {
        kind: "counter",
        table: "messages",
        increments: 1,
        by: 1,
        transaction: true,
      },
    },
  } as Report;
  for (
    const check of [
      () => assertAcknowledged(db, counterRun),
      () =>
        assertRowOrder(db, "messages", {
          order: "grouped",
          report: counterRun,
        }),
    ]
  ) {
    assert.throws(check, {
      name: "TypeError",
      message:
        /needs an insert run \(its rows are known by rowid\), got a counter run/,
    });
  }
  assert.throws(
    () => assertRowOrder(db, "messages", { order: "per-writer" } as never),
    { name: "TypeError", message: /assertRowOrder needs a run's report/ },
  );
  assert.throws(
    () =>
      assertRowOrder(db, "messages", {
        order: "sequence",
        column: "msg",
        values: new Set(["a"]),
      } as never),
    { name: "TypeError", message: /Invalid values: expected an array/ },
  );
  assert.throws(
    () =>
      assertRowOrder(
        db,
        "messages",
        { order: "sequence", values: [] } as never,
      ),
    { name: "TypeError", message: /Invalid column: undefined/ },
  );
});

Deno.test("assertNoLockErrors() and assertLockErrors() read the report's lock errors", async () => {
  await using db = await messagesDb();
  const clean = writtenBy(db, [0, 1, 0, 1]);
  assertNoLockErrors(clean);
  failsWith(
    () => assertLockErrors(clean),
    /Expected at least 1 lock error, found 0 \(4\/4 operations ok/,
  );
  const busy = writtenBy(db, [0, 1, 2, 1], [1, 3]);
  assertLockErrors(busy, { min: 2, max: 2 });
  failsWith(
    () => assertNoLockErrors(busy),
    /Expected no lock errors, found 2 \(busy 2, locked 0\) from 1 writer: writer 1 op 0 busy \(5\), writer 1 op 1 busy \(5\)/,
  );
  failsWith(
    () => assertLockErrors(busy, { max: 1 }),
    /Expected at most 1 lock error, found 2: writer 1 op 0/,
  );
  assert.throws(() => assertLockErrors(busy, { min: 3, max: 1 }), RangeError);
  // Bounds that would check nothing are refused, not passed.
  for (const bounds of [{ max: NaN }, { min: -1 }, { min: 1.5 }]) {
    assert.throws(() => assertLockErrors(busy, bounds), {
      name: "RangeError",
      message: /Invalid bounds: .*\(expected counts >= 0\)/,
    });
  }
  assert.throws(() => assertLockErrors(busy, { maximum: 0 } as never), {
    name: "TypeError",
    message: /Unknown assertLockErrors bounds option: maximum/,
  });
  assert.throws(() => assertLockErrors(busy, 0 as never), {
    name: "TypeError",
    message: /Invalid bounds: 0 \(expected \{ min, max \}\)/,
  });
  assert.throws(() => assertLockErrors(clean, { max: 0 }), {
    name: "RangeError",
    message:
      /min defaults to 1; for no lock errors at all use assertNoLockErrors/,
  });
  failsWith(
    () => assertLockErrors(clean, { max: 5 }),
    /found 0 .*\(min defaults to 1; pass min: 0 to allow none\)/,
  );
  assertLockErrors(clean, { min: 0, max: 5 });
});

Deno.test("assertRowOrder() checks an exact sequence of values", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", [{ msg: "a" }, { msg: "b" }, { msg: "c" }]);
  assertRowOrder(db, "messages", {
    order: "sequence",
    column: "msg",
    values: ["a", "b", "c"],
  });
  failsWith(
    () =>
      assertRowOrder(db, "messages", {
        order: "sequence",
        column: "msg",
        values: ["a", "c", "b"],
      }),
    /first difference at position 1: expected "c", found "b"/,
  );
  failsWith(
    () =>
      assertRowOrder(db, "messages", {
        order: "sequence",
        column: "msg",
        values: ["a", "b"],
      }),
    /Expected 2 values of messages.msg in order, found 3; first difference at position 2: expected no row, found "c"/,
  );
});

Deno.test("assertRowOrder() checks strict alternation between writers", async () => {
  await using db = await messagesDb();
  assertRowOrder(db, "messages", {
    order: "alternating",
    report: writtenBy(db, [0, 1, 0, 1, 0, 1]),
  });
  await using other = await messagesDb();
  // Writer 2 has fewer rows: it leaves the cycle after its last one.
  assertRowOrder(other, "messages", {
    order: "alternating",
    report: writtenBy(other, [2, 0, 1, 2, 0, 1, 0, 1]),
  });
  await using bad = await messagesDb();
  failsWith(
    () =>
      assertRowOrder(bad, "messages", {
        order: "alternating",
        report: writtenBy(bad, [0, 1, 1, 0, 0, 1]),
      }),
    /Expected writers to alternate \(0, 1, …\), but position 2 \(rowid 3\) is writer 1's where writer 0's was due; writers in rowid order: 0 1 1 0 0 1/,
  );
});

Deno.test("assertRowOrder() checks that each writer's rows are grouped", async () => {
  await using db = await messagesDb();
  assertRowOrder(db, "messages", {
    order: "grouped",
    report: writtenBy(db, [1, 1, 1, 0, 0, 0]),
  });
  await using bad = await messagesDb();
  failsWith(
    () =>
      assertRowOrder(bad, "messages", {
        order: "grouped",
        report: writtenBy(bad, [1, 1, 0, 1, 0]),
      }),
    /Expected each writer's rows to be contiguous, but writer 1's rows are split: rowid 4/,
  );
});

Deno.test("assertRowOrder() checks each writer's own submission order", async () => {
  await using db = await messagesDb();
  const report = writtenBy(db, [0, 1, 1, 0]);
  assertRowOrder(db, "messages", { order: "per-writer", report });
  // Swap two of writer 0's rows in the table's order.
  db.connection.exec("UPDATE messages SET rowid = 100 WHERE rowid = 1");
  const moved = report.outcomes.find((o) => o.keys[0] === 0)!;
  moved.rowids = [100];
  failsWith(
    () => assertRowOrder(db, "messages", { order: "per-writer", report }),
    /writer 0 wrote row #0 \(rowid 100\) after row #3 \(rowid 4\)/,
  );
  assert.throws(
    () => assertRowOrder(db, "messages", { order: "random" } as never),
    TypeError,
  );
});

Deno.test("assertAcknowledged() passes when the table holds exactly the acknowledged rows", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", generateRows(3)); // rows from before the run
  const report = await insertRowsInParallel(db, generateRows(10), {
    table: "messages",
    busyTimeoutMs: 10_000,
  });
  assertAcknowledged(db, report);
});

Deno.test("assertAcknowledged() lists lost, duplicated and phantom rows by key", async () => {
  await using db = await messagesDb();
  const report = writtenBy(db, [0, 1, 0, 1, 0, 1], [5]);
  assertAcknowledged(db, report);
  const c = db.connection;
  c.exec("DELETE FROM messages WHERE rowid IN (2, 3)"); // lost: keys 1 and 2
  c.exec("UPDATE messages SET msg = 'changed' WHERE rowid = 4"); // lost: other values
  c.exec("INSERT INTO messages (msg) VALUES ('w0-0')"); // duplicate of key 0
  c.exec("INSERT INTO messages (msg) VALUES ('w1-5')"); // the failed write is present
  c.exec("INSERT INTO messages (msg) VALUES ('stranger')"); // not from this run
  failsWith(
    () => assertAcknowledged(db, report),
    /3 lost, 1 duplicated, 3 phantom \(2 of 5 acknowledged rows present\)\n {2}lost \(acknowledged, not in the table as written\): keys #1-3; #1 \(writer 1, rowid 2, absent\), #2 \(writer 0, rowid 3, absent\), #3 \(writer 1, rowid 4, other values\)\n {2}duplicated \(an acknowledged row present again\): rowid 6 repeats #0 \(writer 0\)\n {2}phantom \(present, not acknowledged\): rowid 4 \(not written by this run\), rowid 7 = #5 \(writer 1, reported busy\), rowid 8 \(not written by this run\)/,
  );
});

Deno.test("assertAcknowledged() notices rows from before the run that changed", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", generateRows(2));
  const report = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    busyTimeoutMs: 10_000,
  });
  db.connection.exec("DELETE FROM messages WHERE rowid = 1");
  failsWith(
    () => assertAcknowledged(db, report),
    /rows that existed before the run: expected 2, found 1/,
  );
});

Deno.test("assertAcknowledged() recognises rows SQLite stored converted (column affinity)", async () => {
  await using db = await fixtureDb({
    sql: `CREATE TABLE orders (
      price DECIMAL(10,2), zip INTEGER, note TEXT, ratio REAL, raw BLOB, v)`,
  });
  // Each column converts its value: "10.50" → 10.5, "02134" → 2134,
  // 1/3 → "0.33333333333333332", 5 → "5.0", 2^62 + 1 → a float, NaN → NULL.
  const rows = [
    { price: "10.50", zip: "02134", note: 1 / 3, ratio: 2n ** 62n + 1n },
    { price: " 7 ", zip: "1e3", note: 5, ratio: "2.50" },
    { price: "abc", zip: "0x10", note: "text", ratio: 3 },
  ].map((row, i) => ({ ...row, raw: NaN, v: i === 0 ? NaN : "01" }));
  const report = await insertRowsInParallel(db, rows, {
    table: "orders",
    busyTimeoutMs: 10_000,
  });
  assert.equal(report.ok, 3);
  assertAcknowledged(db, report);
  // In a STRICT table an ANY column keeps text as text; elsewhere it is
  // NUMERIC. Dates and hex are not numbers to SQLite.
  db.connection.exec(
    "CREATE TABLE strict_any (code ANY, day TEXT) STRICT; CREATE TABLE loose_any (code ANY, day DATE)",
  );
  for (const table of ["strict_any", "loose_any"]) {
    const rows = ["02134", "10.50", "0x1F", "7"].map((code) => ({
      code,
      day: "2024-01-02",
    }));
    // Named in other case, as SQLite allows.
    const run = await insertRowsInParallel(db, rows, {
      table: table.toUpperCase(),
      busyTimeoutMs: 10_000,
    });
    assertAcknowledged(db, run);
  }
  // Still a real check: a changed value is found.
  db.connection.exec("UPDATE orders SET price = 10.51 WHERE price = 10.5");
  failsWith(
    () => assertAcknowledged(db, report),
    /1 lost, 0 duplicated, 1 phantom .*#0 \(writer 0, rowid \d+, other values\)/s,
  );
});

Deno.test("assertAcknowledged() finds rows written with their own keys below the rows from before", async () => {
  await using db = await fixtureDb({
    sql: `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
      INSERT INTO items VALUES (1000, 'seed');`,
  });
  // 1000 is taken: that write fails, and the row there is not the run's.
  const report = await insertRowsInParallel(
    db,
    // "3.0" is key 3 to SQLite, as it is to an INTEGER PRIMARY KEY.
    [1, 2, "3.0", 1000, 2000].map((id) => ({ id, name: `item ${id}` })),
    { table: "items", busyTimeoutMs: 10_000 },
  );
  assert.deepEqual(report.baseline.lowKeys, [1, 2, 3]);
  assert.deepEqual(report.outcomes.map((o) => o.outcome), [
    "ok",
    "ok",
    "ok",
    "error",
    "ok",
  ]);
  assertRowCount(db, "items", 5);
  assertAcknowledged(db, report);
  // A write whose outcome is unknown (its host died) and whose row is there
  // with a low key is the run's, not a row from before.
  const unknown: Report = {
    ...report,
    outcomes: report.outcomes.map((o) =>
      o.keys[0] === 1
        ? { ...o, outcome: "unknown", commitSeq: null, rowids: [] }
        : o
    ),
  };
  assertAcknowledged(db, unknown);
  db.connection.exec("DELETE FROM items WHERE id = 2");
  failsWith(
    () => assertAcknowledged(db, report),
    /1 lost, .*#1 \(writer 1, rowid 2, absent\)/s,
  );
  db.connection.exec("INSERT INTO items VALUES (2, 'item 2')");
  db.connection.exec("DELETE FROM items WHERE id = 1000");
  failsWith(
    () => assertAcknowledged(db, report),
    /rows that existed before the run: expected 1, found 0/,
  );
});

Deno.test("assertIntegrity() passes on a sound database and fails on a damaged one", async () => {
  await using db = await messagesDb();
  insertRows(db, "messages", generateRows(2000, { payloadBytes: 200 }));
  db.connection.exec("CREATE INDEX messages_msg ON messages(msg)");
  assertIntegrity(db);
  const copy = `${db.dir}/damaged.db`;
  await Deno.copyFile(db.path, copy);
  // Overwrite the middle of a few pages behind SQLite's back.
  const file = await Deno.open(copy, { write: true });
  try {
    const junk = new Uint8Array(64).fill(0xa5);
    for (const page of [20, 40, 60, 80, 100]) {
      await file.seek(page * 4096 + 1000, Deno.SeekMode.Start);
      await file.write(junk);
    }
  } finally {
    file.close();
  }
  failsWith(
    () => assertIntegrity(copy),
    /Expected integrity_check "ok" for .*damaged.db, found/,
  );
});

Deno.test("assertAcknowledged() accepts an unknown write present or absent, but not twice", async () => {
  await using db = await messagesDb();
  const report = writtenBy(db, [0, 1, 0, 1]);
  // Pretend writer 1's last operation was in flight when its host died.
  const inFlight = report.outcomes.find((o) => o.writer === 1 && o.seq === 1)!;
  inFlight.outcome = "unknown";
  inFlight.rowids = [];
  assertAcknowledged(db, report); // it committed: present, resolved
  db.connection.exec("DELETE FROM messages WHERE msg = 'w1-3'");
  assertAcknowledged(db, report); // it did not: absent, resolved
  db.connection.exec("INSERT INTO messages (msg) VALUES ('w1-3'), ('w1-3')");
  failsWith(
    () => assertAcknowledged(db, report),
    /0 lost, 1 duplicated, 0 phantom .*\n.*rowid \d+ repeats #3 \(writer 1\)/,
  );
});
