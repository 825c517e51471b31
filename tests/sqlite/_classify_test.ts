import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { classifyError, codeName } from "../../lib/sqlite/_classify.ts";

Deno.test("classifyError() reads node:sqlite's errcode, on a real lock", async () => {
  const dir = await Deno.makeTempDir();
  const a = new DatabaseSync(`${dir}/x.db`);
  const b = new DatabaseSync(`${dir}/x.db`);
  try {
    a.exec("CREATE TABLE t(x)");
    a.prepare("BEGIN IMMEDIATE").run();
    let prepared: unknown, exec: unknown;
    try {
      b.prepare("BEGIN IMMEDIATE").run();
    } catch (e) {
      prepared = e;
    }
    try {
      b.exec("INSERT INTO t VALUES (1)");
    } catch (e) {
      exec = e;
    }
    a.prepare("ROLLBACK").run();
    assert.deepEqual(classifyError(prepared), {
      outcome: "busy",
      code: 5,
      message: "database is locked",
    });
    // exec() errors carry no errcode: the message decides.
    assert.deepEqual(classifyError(exec), {
      outcome: "busy",
      code: 5,
      message: "database is locked",
    });
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("classifyError() accepts libsql's and @db/sqlite's shapes", () => {
  const libsql = Object.assign(new Error("database is locked"), {
    code: "SQLITE_BUSY",
    rawCode: 5,
  });
  assert.equal(classifyError(libsql).outcome, "busy");
  const libsqlNamed = Object.assign(new Error("locked"), {
    code: "SQLITE_LOCKED",
  });
  assert.deepEqual(classifyError(libsqlNamed), {
    outcome: "locked",
    code: 6,
    message: "locked",
  });
  assert.deepEqual(classifyError(new Error("database table is locked")), {
    outcome: "locked",
    code: 6,
    message: "database table is locked",
  });
  const snapshot = Object.assign(new Error("database is locked"), {
    errcode: 517,
  });
  assert.deepEqual(classifyError(snapshot), {
    outcome: "busy",
    code: 517,
    message: "database is locked",
  });
  assert.deepEqual(classifyError(new Error("UNIQUE constraint failed: t.x")), {
    outcome: "error",
    code: null,
    message: "UNIQUE constraint failed: t.x",
  });
  assert.equal(classifyError("boom").message, "boom");
});

Deno.test("codeName() names every primary and extended code from SQLite's list", () => {
  assert.equal(codeName(5), "SQLITE_BUSY");
  assert.equal(codeName(517), "SQLITE_BUSY_SNAPSHOT");
  assert.equal(codeName(6), "SQLITE_LOCKED");
  assert.equal(codeName(1), "SQLITE_ERROR");
  assert.equal(codeName(2067), "SQLITE_CONSTRAINT_UNIQUE");
  assert.equal(codeName(13), "SQLITE_FULL");
  assert.equal(codeName(1034), "SQLITE_IOERR_FSYNC");
  assert.equal(codeName(8714), "SQLITE_IOERR_IN_PAGE");
  assert.equal(codeName(1555), "SQLITE_CONSTRAINT_PRIMARYKEY");
  // An extended code SQLite's list lacks falls back to its primary code.
  assert.equal(codeName(19 | (200 << 8)), "SQLITE_CONSTRAINT");
  assert.equal(codeName(255), "SQLITE_255");
});
