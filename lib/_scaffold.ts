// Private: what `dbhammer init` writes into a user's project.

/** The example schema. */
export function schemaTemplate(): string {
  return `-- Example schema for dbhammer's concurrency tests: edit it to match your
-- application's tables. The tests insert into messages(msg).
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  msg TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
`;
}

/** A working concurrency test for the example schema. */
export function testTemplate(name: string, importSpecifier: string): string {
  return `// Concurrency tests written by \`dbhammer init\`: parallel writers on a real
// SQLite file. Run: deno test -A tests/${name}_concurrency_test.ts
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  fixtureDb,
  generateRows,
  insertRowsInParallel,
  none,
  queue,
} from "${importSpecifier}";

const schemaFile = new URL("../fixtures/${name}.sql", import.meta.url);

Deno.test("${name}: 20 parallel writers with a busy timeout lose nothing", async () => {
  await using db = await fixtureDb({ schemaFile });
  const report = await insertRowsInParallel(db, generateRows(20), {
    table: "messages",
    busyTimeoutMs: 10_000,
  });
  assertNoLockErrors(report);
  assertRowCount(db, "messages", 20);
  assertAcknowledged(db, report); // every acknowledged row there once, no failed one
  assertIntegrity(db);
});

Deno.test("${name}: without a busy timeout, overlapping writers get lock errors", async () => {
  await using db = await fixtureDb({ schemaFile });
  const report = await insertRowsInParallel(db, generateRows(6), {
    table: "messages",
    writers: 3,
    holdMs: 200, // each transaction holds the lock 200 ms: overlap is certain
    strategy: none(),
  });
  assertLockErrors(report, { min: 1 });
  assertRowCount(db, "messages", report.ok);
  assertAcknowledged(db, report);
});

Deno.test("${name}: writers taking turns keep their own order", async () => {
  await using db = await fixtureDb({ schemaFile });
  const report = await insertRowsInParallel(db, generateRows(12), {
    table: "messages",
    writers: 3,
    strategy: queue(),
  });
  assertNoLockErrors(report);
  assertRowOrder(db, "messages", { order: "per-writer", report });
});
`;
}
