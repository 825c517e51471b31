import assert from "node:assert/strict";
import { resolvePlan } from "../../lib/_resolve_plan.ts";
import type { Workload } from "../../lib/plan.ts";
import { workloadModule } from "../../lib/workloads/_registry.ts";

Deno.test("workloads: every kind has its module, which describes its own run", () => {
  const cases: [Workload, RegExp, RegExp][] = [
    [
      { kind: "insert", table: "messages", rows: [{ msg: "a" }] },
      /^insert into "messages"$/,
      /^deferred, 1 row each, hold 0 ms$/,
    ],
    [
      { kind: "counter", increments: 3, by: 2 },
      /^counter in "counter"$/,
      /^deferred, 3 increments of 2 per writer, hold 0 ms between read and write$/,
    ],
    [
      { kind: "task", module: "file:///tmp/t.ts", operations: 1 },
      /^task file:\/\/\/tmp\/t\.ts$/,
      /^deferred, one task call each, hold 0 ms$/,
    ],
    [
      { kind: "parentChildren", children: 4, operations: 1 },
      /^parents and children in "parents" and "children"$/,
      /^deferred, a parent and 4 children each, hold 0 ms$/,
    ],
  ];
  for (const [workload, what, transactions] of cases) {
    const settings = resolvePlan({ db: "/tmp/x.db", workload, writers: 1 });
    assert.equal(settings.workload.kind, workload.kind);
    const module = workloadModule(settings.workload);
    assert.match(module.what(settings.workload), what);
    assert.match(
      module.transactions(settings.workload, settings),
      transactions,
    );
  }
});
