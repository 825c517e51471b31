// probe(): ramps writers, one hammer run per level, and names the first level
// where lock errors or lost writes appear. Overlap is made certain by holds.
import assert from "node:assert/strict";
import { fixtureDb, generateRows, liveHosts, probe, rowCount } from "../mod.ts";
import { probeLevels } from "../lib/probe.ts";
import { messagesDb } from "./_helpers.ts";

Deno.test("probeLevels() doubles from `from` and always ends at `to`", () => {
  assert.deepEqual(probeLevels(1, 512), [
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
    256,
    512,
  ]);
  assert.deepEqual(probeLevels(3, 20), [3, 6, 12, 20]);
  assert.deepEqual(probeLevels(5, 5), [5]);
});

Deno.test("probe(): busy timeout 0 and a hold: the first lock error is at 2 writers", async () => {
  await using db = await messagesDb();
  const result = await probe(
    { db, workload: { kind: "insert", table: "messages" }, holdMs: 200 },
    { from: 1, to: 8 },
  );
  assert.deepEqual(result.levels.map((l) => l.writers), [1, 2, 4, 8]);
  const [one, ...more] = result.levels;
  assert.deepEqual([one.ok, one.lockErrors, one.failed], [1, 0, false]);
  assert.ok(more.every((l) => l.failed && l.lockErrors >= 1));
  for (const level of result.levels) {
    assert.equal(level.intended, level.writers);
    assert.equal(level.ok + level.lockErrors, level.intended);
    assert.equal(level.lost, 0);
  }
  assert.equal(result.firstLockError, 2);
  assert.equal(result.firstLost, null);
  assert.equal(result.firstFailure, 2);
  assert.equal(
    result.answer,
    "first lock error at 2 writers (busy timeout 0, DELETE journal)",
  );
  assert.equal(
    rowCount(db, "messages"),
    result.levels.reduce((n, l) => n + l.ok, 0),
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("probe(): a long busy timeout holds up to 128 writers on shared threads", async () => {
  await using db = await messagesDb({ busyTimeoutMs: 30_000 });
  const result = await probe(
    { db, workload: { kind: "insert", table: "messages" } },
    { levels: [1, 16, 128] },
  );
  assert.deepEqual(
    result.levels.map((l) => [l.writers, l.ok, l.lockErrors, l.lost]),
    [[1, 1, 0, 0], [16, 16, 0, 0], [128, 128, 0, 0]],
  );
  assert.ok(result.levels[2].threads < 128, "writers shared threads");
  assert.equal(result.firstFailure, null);
  assert.equal(
    result.answer,
    "no lock errors and no lost writes up to 128 writers (busy timeout 30000 ms, DELETE journal)",
  );
  assert.equal(rowCount(db, "messages"), 145);
});

Deno.test("probe(): a counter without a transaction loses updates from 4 writers on", async () => {
  await using db = await fixtureDb({ journalMode: "wal" });
  const result = await probe(
    {
      db,
      workload: { kind: "counter", increments: 3, transaction: false },
      holdMs: 100,
      busyTimeoutMs: 10_000,
    },
    { levels: [1, 4] },
  );
  assert.deepEqual(result.levels.map((l) => l.lockErrors), [0, 0]);
  assert.equal(result.levels[0].lost, 0);
  assert.ok((result.levels[1].lost ?? 0) > 0);
  assert.equal(result.firstLost, 4);
  assert.equal(result.firstLockError, null);
  assert.equal(
    result.answer,
    "first lost write at 4 writers (busy timeout 10000 ms, WAL journal)",
  );
});

Deno.test("probe(): stops at the first failure on request and reports each level as it goes", async () => {
  await using db = await messagesDb();
  const events: string[] = [];
  const result = await probe(
    {
      db,
      workload: {
        kind: "insert",
        table: "messages",
        rows: (writers) => generateRows(2 * writers),
      },
      holdMs: 200,
    },
    {
      from: 1,
      to: 64,
      stopAtFirstFailure: true,
      onLevelStart: (writers) => events.push(`start ${writers}`),
      onLevel: (level) => events.push(`end ${level.writers}`),
    },
  );
  assert.deepEqual(events, ["start 1", "end 1", "start 2", "end 2"]);
  assert.deepEqual(result.levels.map((l) => l.intended), [2, 4]);
  assert.equal(result.firstFailure, 2);
});

Deno.test("probe(): a level whose writes fail for another reason is a failure, named", async () => {
  await using db = await fixtureDb({
    sql: "CREATE TABLE codes (code TEXT UNIQUE)",
    busyTimeoutMs: 10_000,
  });
  // Every level writes the same codes: from the second level on, each one
  // breaks the UNIQUE constraint. No lock error, nothing lost.
  const result = await probe(
    {
      db,
      workload: {
        kind: "insert",
        table: "codes",
        rows: (writers) =>
          Array.from({ length: writers }, (_, i) => ({ code: `c${i}` })),
      },
    },
    { levels: [1, 2] },
  );
  assert.deepEqual(
    result.levels.map((l) => [l.ok, l.otherErrors, l.lockErrors, l.failed]),
    [[1, 0, 0, false], [1, 1, 0, true]],
  );
  assert.deepEqual(result.firstOtherError, {
    writers: 2,
    message: "UNIQUE constraint failed: codes.code",
  });
  assert.equal(result.firstFailure, 2);
  assert.equal(
    result.answer,
    "first other error at 2 writers (UNIQUE constraint failed: codes.code) (busy timeout 10000 ms, DELETE journal)",
  );
});

Deno.test("probe(): bad input is refused before anything runs", async (t) => {
  await using db = await messagesDb();
  const workload = { kind: "insert", table: "messages" } as const;
  const cases: [string, () => Promise<unknown>, RegExp, ErrorConstructor][] = [
    [
      "writers in the plan",
      () => probe({ db, workload, writers: 4 } as never),
      /writers is what probe\(\) ramps/,
      TypeError,
    ],
    [
      "levels not increasing",
      () => probe({ db, workload }, { levels: [4, 2] }),
      /Invalid levels: \[4,2\] \(expected increasing/,
      RangeError,
    ],
    [
      "from above to",
      () => probe({ db, workload }, { from: 8, to: 4 }),
      /Invalid to: 4/,
      RangeError,
    ],
    [
      "levels and from together",
      () => probe({ db, workload }, { levels: [1], from: 1 }),
      /levels or from\/to, not both/,
      TypeError,
    ],
    [
      "an unknown option",
      () => probe({ db, workload }, { upTo: 8 } as never),
      /upTo/,
      TypeError,
    ],
    [
      "from above the default to",
      () => probe({ db, workload }, { from: 1024 }),
      /Invalid from: 1024 \(above to, which is 512 unless given\)/,
      RangeError,
    ],
    [
      "a callback that is not a function",
      () => probe({ db, workload }, { onLevel: "x" } as never),
      /Invalid onLevel: expected a function, got string/,
      TypeError,
    ],
    [
      "a misspelt workload key (rows would be generated instead)",
      () =>
        probe({
          db,
          workload: { ...workload, row: generateRows(4) } as never,
        }, { to: 2 }),
      /Unknown workload option: row/,
      TypeError,
    ],
    [
      "fewer rows than writers",
      () =>
        probe({ db, workload: { ...workload, rows: generateRows(3) } }, {
          to: 4,
        }),
      /3 rows cannot keep 4 writers busy/,
      RangeError,
    ],
  ];
  for (const [name, call, message, type] of cases) {
    await t.step(name, async () => {
      await assert.rejects(call, (e: Error) => {
        assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    });
  }
  assert.equal(rowCount(db, "messages"), 0);
  assert.equal(liveHosts(), 0);
});
