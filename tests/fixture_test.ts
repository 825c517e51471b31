import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createTable, fixtureDb, rowCount } from "../mod.ts";
import { canMakeImmutable, chattr } from "./_helpers.ts";

const DEFAULT_DRIVER_URL = import.meta.resolve("../lib/drivers/node_sqlite.ts");

Deno.test("fixtureDb() creates a database in its own temp dir and removes it on dispose", async () => {
  let dir: string;
  {
    await using db = await fixtureDb();
    dir = db.dir;
    assert.ok(existsSync(db.path));
    assert.equal(db.path, join(db.dir, "fixture.db"));
    createTable(db, { name: "t", columns: { x: "INTEGER" } });
    // Files beside the database go too.
    await Deno.writeTextFile(`${db.path}-journal`, "");
  }
  assert.equal(existsSync(dir), false);
});

Deno.test("fixtureDb() applies journal mode, synchronous and busy timeout to its connection", async () => {
  await using db = await fixtureDb({
    journalMode: "wal",
    synchronous: "normal",
    busyTimeoutMs: 1234,
    driver: DEFAULT_DRIVER_URL,
  });
  const c = db.connection;
  assert.equal(
    (c.prepare("PRAGMA journal_mode").get() as { journal_mode: string })
      .journal_mode,
    "wal",
  );
  assert.equal(
    (c.prepare("PRAGMA synchronous").get() as { synchronous: number })
      .synchronous,
    1,
  );
  assert.equal(
    (c.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout,
    1234,
  );
  assert.deepEqual({ ...db.settings }, {
    journalMode: "wal",
    synchronous: "normal",
    busyTimeoutMs: 1234,
    driver: DEFAULT_DRIVER_URL,
  });
  c.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  assert.ok(existsSync(`${db.path}-wal`));
});

Deno.test("fixtureDb() defaults to the DELETE journal, synchronous FULL and no busy timeout", async () => {
  await using db = await fixtureDb();
  assert.deepEqual({ ...db.settings }, {
    journalMode: "delete",
    synchronous: "full",
    busyTimeoutMs: 0,
    driver: DEFAULT_DRIVER_URL,
  });
});

Deno.test("fixtureDb() builds the database from a fixture SQL file", async () => {
  await using db = await fixtureDb({
    schemaFile: new URL("../fixtures/messages.sql", import.meta.url),
  });
  assert.equal(rowCount(db, "messages"), 0);
});

Deno.test("fixtureDb() runs SQL given inline", async () => {
  await using db = await fixtureDb({
    sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)",
  });
  assert.equal(rowCount(db, "t"), 2);
});

Deno.test("fixtureDb() rejects bad options by name before creating anything", async () => {
  await assert.rejects(fixtureDb({ journal: "wal" } as never), {
    name: "TypeError",
    message: /Unknown fixtureDb option: journal/,
  });
  await assert.rejects(fixtureDb({ journalMode: "fast" as never }), {
    name: "TypeError",
    message: /Invalid journalMode: "fast"/,
  });
  await assert.rejects(fixtureDb({ busyTimeoutMs: -1 }), {
    name: "RangeError",
    message: /Invalid busyTimeoutMs: -1/,
  });
  await assert.rejects(fixtureDb({ sql: "x", schemaFile: "y" }), {
    name: "TypeError",
  });
  await assert.rejects(fixtureDb({ schemaFile: "/no/such/schema.sql" }), {
    message: /Cannot read schemaFile \/no\/such\/schema.sql: No such file/,
  });
  await assert.rejects(fixtureDb({ sql: 5 as never }), {
    name: "TypeError",
    message: /Invalid sql: expected a string, got number/,
  });
  await assert.rejects(fixtureDb({ dir: 5 as never }), {
    name: "TypeError",
    message: /Invalid dir: 5/,
  });
});

Deno.test("fixtureDb() reads a schemaFile given as a file: URL string", async () => {
  await using db = await fixtureDb({
    schemaFile: import.meta.resolve("../fixtures/messages.sql"),
  });
  assert.equal(rowCount(db, "messages"), 0);
});

Deno.test("fixtureDb() removes its temp dir when the SQL fails", async () => {
  const parent = await Deno.makeTempDir();
  try {
    await assert.rejects(
      fixtureDb({ dir: parent, sql: "CREATE TABLE" }),
      /^Error: Cannot run sql: (syntax error|incomplete input)/,
    );
    assert.deepEqual([...Deno.readDirSync(parent)], []);
    const schemaFile = join(parent, "bad.sql");
    Deno.writeTextFileSync(schemaFile, "INSERT INTO nosuch VALUES (1);");
    await assert.rejects(
      fixtureDb({ dir: parent, schemaFile }),
      new RegExp(`Cannot run schemaFile ${schemaFile}: no such table: nosuch`),
    );
    assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), [
      "bad.sql",
    ]);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("FixtureDb.connection throws once the fixture is disposed", async () => {
  const db = await fixtureDb();
  await db[Symbol.asyncDispose]();
  assert.equal(db.closed, true);
  assert.throws(() => db.connection, /Fixture database is closed/);
  await db[Symbol.asyncDispose](); // twice is fine
});

Deno.test("fixtureDb() explains why node:sqlite refuses journal mode OFF, before making anything", async () => {
  const parent = await Deno.makeTempDir();
  try {
    await assert.rejects(
      fixtureDb({ journalMode: "off", dir: parent }),
      TypeError,
      'Invalid journalMode: "off" (the node:sqlite driver refuses it: it opens connections in defensive mode',
    );
    assert.deepEqual([...Deno.readDirSync(parent)], []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("fixtureDb() names a dir that is missing or where no temp dir can be made", async () => {
  await assert.rejects(
    fixtureDb({ dir: "/no/such/parent" }),
    RangeError,
    "Invalid dir: /no/such/parent (no such directory)",
  );
  if (!(await canMakeImmutable())) return;
  const parent = await Deno.makeTempDir();
  assert.ok(await chattr("+i", parent));
  try {
    await assert.rejects(
      fixtureDb({ dir: parent }),
      RangeError,
      `Invalid dir: ${parent} (a temp dir cannot be made in it:`,
    );
  } finally {
    await chattr("-i", parent);
    await Deno.remove(parent, { recursive: true });
  }
});
