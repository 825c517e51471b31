import assert from "node:assert/strict";
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_THREADS,
  DEFAULT_MAX_WRITERS,
  fixtureDb,
  generateRows,
} from "../mod.ts";
import { resolvePlan } from "../lib/_resolve_plan.ts";

const rows = generateRows(3);
const workload = { kind: "insert", table: "messages", rows } as const;

Deno.test("resolvePlan() applies every default in one place", () => {
  const s = resolvePlan({ db: "/tmp/x.db", workload });
  assert.deepEqual(s, {
    path: "/tmp/x.db",
    driver: new URL("../lib/drivers/node_sqlite.ts", import.meta.url).href,
    driverName: null,
    workload: {
      kind: "insert",
      table: "messages",
      columns: ["msg"],
      rows: 3,
    },
    writers: 3,
    threads: 3,
    busyWait: "sqlite",
    journalMode: null,
    synchronous: "full",
    busyTimeoutMs: 0,
    transaction: "deferred",
    rowsPerTransaction: 1,
    holdMs: 0,
    deadlineMs: DEFAULT_DEADLINE_MS,
    crash: null,
    strategy: { name: "none", busyTimeoutMs: 0 },
    mode: "worker",
  });
});

Deno.test("resolvePlan() takes rows with the same columns in any order, not other columns", () => {
  const s = resolvePlan({
    db: "/tmp/x.db",
    workload: {
      kind: "insert",
      table: "t",
      rows: [{ a: 1, b: 2 }, { b: 3, a: 4 }],
    },
  });
  assert.deepEqual(
    s.workload.kind === "insert" ? s.workload.columns : null,
    ["a", "b"],
  );
  assert.throws(
    () =>
      resolvePlan({
        db: "/tmp/x.db",
        workload: {
          kind: "insert",
          table: "t",
          rows: [{ a: 1, b: 2 }, { b: 3, c: 4 }],
        },
      }),
    /Invalid rows\[1\]: its columns \(b, c\) differ from rows\[0\]'s \(a, b\)/,
  );
});

Deno.test("resolvePlan() gives one writer per transaction by default", () => {
  const plan = (rows: number, rowsPerTransaction: number): number =>
    resolvePlan({
      db: "/tmp/x.db",
      workload: { ...workload, rows: generateRows(rows) },
      rowsPerTransaction,
    }).writers;
  // One writer per row would leave rowsPerTransaction nothing to group.
  assert.equal(plan(10, 3), 4);
  assert.equal(plan(12, 3), 4);
  assert.equal(plan(3, 10), 1);
  assert.equal(plan(1000, 5), DEFAULT_MAX_WRITERS);
  assert.equal(plan(10, 1), 10);
});

Deno.test("resolvePlan() caps the default writers and shares threads on request", () => {
  const many = generateRows(DEFAULT_MAX_WRITERS + 50);
  const s = resolvePlan({
    db: "/tmp/x.db",
    workload: { ...workload, rows: many },
  });
  assert.equal(s.writers, DEFAULT_MAX_WRITERS);
  assert.equal(s.threads, DEFAULT_MAX_THREADS);
  assert.equal(s.busyWait, "async");
  const few = resolvePlan({
    db: "/tmp/x.db",
    workload: { ...workload, rows: generateRows(3) },
  });
  assert.deepEqual([few.writers, few.threads, few.busyWait], [3, 3, "sqlite"]);
  const own = resolvePlan({
    db: "/tmp/x.db",
    workload: { ...workload, rows: many },
    threads: DEFAULT_MAX_WRITERS,
  });
  assert.deepEqual([own.threads, own.busyWait], [
    DEFAULT_MAX_WRITERS,
    "sqlite",
  ]);
  const shared = resolvePlan({ db: "/tmp/x.db", workload, threads: 1 });
  assert.equal(shared.busyWait, "async");
});

Deno.test("resolvePlan() takes a fixture's settings as the run's defaults", async () => {
  await using db = await fixtureDb({
    journalMode: "wal",
    synchronous: "normal",
    busyTimeoutMs: 250,
  });
  const s = resolvePlan({ db, workload });
  assert.deepEqual([s.journalMode, s.synchronous, s.busyTimeoutMs], [
    "wal",
    "normal",
    250,
  ]);
  const overridden = resolvePlan({
    db,
    workload,
    busyTimeoutMs: 0,
    synchronous: "full",
  });
  assert.deepEqual([overridden.synchronous, overridden.busyTimeoutMs], [
    "full",
    0,
  ]);
});

Deno.test("resolvePlan() names the option and value it rejects", async () => {
  const bad: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
    [{ speed: 1 }, /Unknown hammer option: speed/, TypeError],
    [
      { writers: 0 },
      /Invalid writers: 0 \(expected an integer from 1 to 4096\)/,
      RangeError,
    ],
    [{ threads: 0 }, /Invalid threads: 0/, RangeError],
    [{ busyTimeoutMs: -1 }, /Invalid busyTimeoutMs: -1/, RangeError],
    [{ busyTimeoutMs: NaN }, /Invalid busyTimeoutMs: NaN/, RangeError],
    [{ rowsPerTransaction: 0 }, /Invalid rowsPerTransaction: 0/, RangeError],
    [{ deadlineMs: 0 }, /Invalid deadlineMs: 0/, RangeError],
    [
      { synchronous: "sometimes" },
      /Invalid synchronous: "sometimes"/,
      TypeError,
    ],
    [{ journalMode: "WAL" }, /Invalid journalMode: "WAL"/, TypeError],
    [
      { crash: { writer: 9, afterOps: 0 } },
      /Invalid crash.writer: 9/,
      RangeError,
    ],
    [
      { crash: { writer: 0, afterOps: 0, how: "explode" } },
      /Invalid crash.how: "explode"/,
      TypeError,
    ],
    // 3 rows on 3 writers: one operation each, so afterOps 1 never comes.
    [
      { crash: { writer: 2, afterOps: 1 } },
      /Invalid crash.afterOps: 1 \(writer 2 has 1 operation: expected 0 to 0\)/,
      RangeError,
    ],
    [
      { crash: { writer: 0, afterOps: 0, inTransaction: "no" } },
      /Invalid crash.inTransaction: "no" \(expected true or false\)/,
      TypeError,
    ],
    [{ db: "" }, /Invalid db: /, TypeError],
    [
      { workload: { kind: "update", table: "t", rows } },
      /Invalid workload: "update"/,
      TypeError,
    ],
    [
      { workload: { ...workload, rows: "abc" } },
      /Invalid rows: expected an array/,
      TypeError,
    ],
    [
      { workload: { ...workload, rows: [1] } },
      /Invalid rows\[0\]: expected an object/,
      TypeError,
    ],
  ];
  for (const [patch, message, type] of bad) {
    assert.throws(
      () => resolvePlan({ db: "/tmp/x.db", workload, ...patch } as never),
      (error: Error) => {
        assert.ok(error instanceof type, `${JSON.stringify(patch)}: ${error}`);
        assert.match(error.message, message);
        return true;
      },
    );
  }
  const disposed = await fixtureDb();
  await disposed[Symbol.asyncDispose]();
  assert.throws(() => resolvePlan({ db: disposed, workload }), /is disposed/);
});

Deno.test("resolvePlan(): a bad option's error names it as a field, not only in its text", () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ writers: 0 }, "writers", /^0 \(expected an integer/],
    [{ holdMs: [1, -1] }, "holdMs[1]", /^-1 /],
    [{ journalMode: "bogus" }, "journalMode", /^"bogus" \(expected one of/],
  ];
  for (const [options, option, detail] of cases) {
    assert.throws(
      () => resolvePlan({ db: "/tmp/x.db", workload, ...options }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError || error instanceof RangeError);
        const fields = error as unknown as { option: string; detail: string };
        assert.equal(fields.option, option);
        assert.match(fields.detail, detail);
        assert.equal(error.message, `Invalid ${option}: ${fields.detail}`);
        return true;
      },
    );
  }
});
