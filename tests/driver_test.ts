// The driver seam: the same plans through npm:libsql, a user's driver module
// (in Workers and in processes), @db/sqlite where JSR resolves, and clear
// errors for driver modules that cannot serve.
import assert from "node:assert/strict";
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  createTable,
  fixtureDb,
  generateRows,
  hammer,
  insertRowsInParallel,
  liveHosts,
  none,
  rowCount,
} from "../mod.ts";
import { messagesDb } from "./_helpers.ts";

const LIBSQL = import.meta.resolve("../lib/drivers/libsql.ts");
const CUSTOM = import.meta.resolve("../fixtures/drivers/custom_node.ts");
const DB_SQLITE = import.meta.resolve("../fixtures/drivers/db_sqlite.ts");

Deno.test("libsql: parallel inserts of every value type, all acknowledged", async () => {
  await using db = await fixtureDb({ driver: LIBSQL });
  createTable(db, {
    name: "items",
    columns: {
      msg: "TEXT",
      n: "INTEGER",
      x: "REAL",
      data: "BLOB",
      note: "TEXT",
    },
  });
  const rows = generateRows(12, {
    columns: {
      n: (i) => BigInt(2 ** 53) + BigInt(i),
      x: (i) => i / 4,
      data: (i) => new Uint8Array([i, 255 - i, 7]),
      note: (i) => i % 2 === 0 ? null : `note ${i}`,
    },
  });
  const report = await insertRowsInParallel(db, rows, {
    table: "items",
    writers: 4,
    busyTimeoutMs: 10_000,
  });
  assert.equal(report.settings.driverName, "libsql");
  assert.match(report.sqliteVersion, /^3\.\d+\.\d+/);
  assertNoLockErrors(report);
  assertRowCount(db, "items", 12);
  assertAcknowledged(db, report);
  assertIntegrity(db);
  const stored = db.connection
    .prepare(
      "SELECT CAST(n AS TEXT) AS n, hex(data) AS data, note FROM items ORDER BY n",
    )
    .all();
  assert.equal(stored[0].data, "00FF07");
  assert.equal(stored[0].note, null);
  assert.equal(stored[11].n, String(BigInt(2 ** 53) + 11n));
  assert.ok(stored.every((row) => !("_metadata" in row)));
});

Deno.test("libsql: lock errors classified as SQLITE_BUSY (5), nothing phantom", async () => {
  await using db = await messagesDb({ driver: LIBSQL });
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    holdMs: 300,
    strategy: none(),
  });
  assertLockErrors(report, { min: 1 });
  const failed = report.outcomes.filter((o) => o.outcome !== "ok");
  assert.ok(failed.every((o) => o.outcome === "busy" && o.code === 5));
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
});

Deno.test("libsql: process mode", async () => {
  await using db = await messagesDb({ driver: LIBSQL });
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    busyTimeoutMs: 10_000,
    mode: "process",
  });
  assert.equal(report.settings.driverName, "libsql");
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 6);
  assertAcknowledged(db, report);
});

for (const mode of ["worker", "process"] as const) {
  Deno.test(`a user's driver module by specifier, ${mode} mode`, async () => {
    await using db = await messagesDb();
    const report = await hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(8) },
      writers: 4,
      threads: 2,
      busyTimeoutMs: 10_000,
      mode,
      driver: CUSTOM,
    });
    assert.equal(report.settings.driverName, "custom-node");
    assert.equal(report.settings.driver, CUSTOM);
    assertNoLockErrors(report);
    assertRowCount(db, "messages", 8);
    assertAcknowledged(db, report);
  });
}

Deno.test("a run on a fixture uses the fixture's driver unless the plan names one", async () => {
  await using db = await messagesDb({ driver: CUSTOM });
  assert.equal(db.settings.driver, CUSTOM);
  const inherited = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    busyTimeoutMs: 5000,
  });
  assert.equal(inherited.settings.driverName, "custom-node");
  const named = await insertRowsInParallel(db, generateRows(2), {
    table: "messages",
    busyTimeoutMs: 5000,
    driver: LIBSQL,
  });
  assert.equal(named.settings.driverName, "libsql");
  assertRowCount(db, "messages", 4);
});

Deno.test("bad driver modules: a clear error naming the module, nothing spawned", async (t) => {
  await using db = await messagesDb();
  const run = (driver: unknown) =>
    insertRowsInParallel(db, generateRows(2), {
      table: "messages",
      driver: driver as string,
    });
  await t.step("a module that does not exist", async () => {
    const missing = import.meta.resolve("../fixtures/drivers/missing.ts");
    await assert.rejects(
      run(missing),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.includes(missing) &&
        e.message.includes("cannot be loaded"),
    );
  });
  await t.step("a module without a driver export", async () => {
    const notDriver = import.meta.resolve(
      "../fixtures/drivers/not_a_driver.ts",
    );
    await assert.rejects(
      run(notDriver),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.includes(notDriver) &&
        e.message.includes("default export") &&
        e.message.includes("exports: connect, name"),
    );
  });
  await t.step("not a specifier at all", async () => {
    await assert.rejects(run(42), /Invalid driver: 42/);
    await assert.rejects(run(""), /Invalid driver: ""/);
  });
  await t.step("fixtureDb refuses it too, leaving no temp dir", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(
        fixtureDb({ dir, driver: import.meta.resolve("./nope.ts") }),
        /Invalid driver module .*nope\.ts: it cannot be loaded/,
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  assert.equal(liveHosts(), 0);
  assertRowCount(db, "messages", 0);
});

const dbSqliteLoads = await import(DB_SQLITE).then(() => true, () => false);

Deno.test({
  name:
    "@db/sqlite (only where jsr:@db/sqlite resolves): inserts and lock errors",
  ignore: !dbSqliteLoads,
  async fn(): Promise<void> {
    await using db = await messagesDb({ driver: DB_SQLITE });
    const ok = await insertRowsInParallel(db, generateRows(6), {
      table: "messages",
      writers: 3,
      busyTimeoutMs: 10_000,
    });
    assert.equal(ok.settings.driverName, "@db/sqlite");
    assertNoLockErrors(ok);
    assertAcknowledged(db, ok);
    const clash = await insertRowsInParallel(db, generateRows(6), {
      table: "messages",
      writers: 3,
      holdMs: 300,
      strategy: none(),
    });
    assertLockErrors(clash, { min: 1 });
    assert.equal(rowCount(db, "messages"), 6 + clash.ok);
    assertAcknowledged(db, clash);
  },
});
