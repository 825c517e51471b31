import assert from "node:assert/strict";
import {
  createTable,
  dropTable,
  fixtureDb,
  generateRows,
  insertRows,
  rowCount,
} from "../mod.ts";

Deno.test("createTable() creates the columns given, in order", async () => {
  await using db = await fixtureDb();
  createTable(db, {
    name: "messages",
    columns: { msg: "TEXT NOT NULL", n: "INTEGER DEFAULT 0" },
  });
  const columns = db.connection.prepare("PRAGMA table_info(messages)")
    .all() as {
      name: string;
      type: string;
      notnull: number;
    }[];
  assert.deepEqual(columns.map((c) => [c.name, c.type, c.notnull]), [[
    "msg",
    "TEXT",
    1,
  ], ["n", "INTEGER", 0]]);
  assert.throws(
    () => createTable(db, { name: "messages", columns: { msg: "TEXT" } }),
    /already exists/,
  );
  createTable(db, {
    name: "messages",
    columns: { msg: "TEXT" },
    ifNotExists: true,
  });
});

Deno.test("createTable() rejects a spec without a name or columns", async () => {
  await using db = await fixtureDb();
  assert.throws(
    () => createTable(db, { name: "", columns: { x: "TEXT" } }),
    TypeError,
  );
  assert.throws(
    () => createTable(db, { name: "t", columns: {} }),
    /none given/,
  );
  assert.throws(
    () => createTable(db, { name: "t", columns: ["msg TEXT"] as never }),
    { name: "TypeError", message: /expected an object of name → declaration/ },
  );
  assert.throws(
    () =>
      createTable(db, { name: "t", columns: { x: "TEXT); DROP TABLE y; --" } }),
    TypeError,
  );
});

Deno.test("rowCount() counts all rows or those matching a condition", async () => {
  await using db = await fixtureDb();
  createTable(db, { name: "t", columns: { x: "INTEGER" } });
  insertRows(db, "t", [{ x: 1 }, { x: 2 }, { x: 3 }]);
  assert.equal(rowCount(db, "t"), 3);
  assert.equal(rowCount(db, "t", "x >= 2"), 2);
  assert.equal(rowCount(db, "t", { where: "x = ?", params: [3] }), 1);
});

Deno.test("rowCount() names a missing table", async () => {
  await using db = await fixtureDb();
  assert.throws(() => rowCount(db, "nope"), {
    name: "RangeError",
    message: /"nope" does not exist/,
  });
});

Deno.test("helpers accept a plain file path", async () => {
  await using db = await fixtureDb();
  createTable(db.path, { name: "messages", columns: { msg: "TEXT" } });
  assert.deepEqual(insertRows(db.path, "messages", generateRows(3)), [1, 2, 3]);
  assert.equal(rowCount(db.path, "messages"), 3);
  dropTable(db.path, "messages");
  assert.throws(() => rowCount(db.path, "messages"), /does not exist/);
});

Deno.test("helpers give a clear error for a missing file or a file that is not a database", async () => {
  assert.throws(
    () => rowCount("/no/such/dir/x.db", "t"),
    /Cannot open database \/no\/such\/dir\/x.db: no such file/,
  );
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(
      file,
      "not a database, just some text that is long enough to matter",
    );
    assert.throws(
      () => rowCount(file, "t"),
      /Cannot open database .*: file is not a database/,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("insertRows() stores booleans as 1/0 and rolls back on error", async () => {
  await using db = await fixtureDb();
  createTable(db, { name: "t", columns: { x: "INTEGER UNIQUE" } });
  insertRows(db, "t", [{ x: true }, { x: false }]);
  assert.equal(rowCount(db, "t", "x = 1"), 1);
  assert.throws(() => insertRows(db, "t", [{ x: 5 }, { x: 5 }]), /UNIQUE/);
  assert.equal(rowCount(db, "t"), 2);
});
