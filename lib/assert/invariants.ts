/**
 * Assertions on what the workload must keep true: no lost update, all or
 * nothing.
 *
 * @module
 */
import { pathOf, requireTable, withConnection } from "../_db.ts";
import type { DbLike } from "../fixture.ts";
import { quoteIdent } from "../sqlite/_connection.ts";
import type { Outcome, Report } from "../report/report.ts";
import { invalid } from "../_validate.ts";
import { fail, listed } from "./_common.ts";

/**
 * Asserts that a counter run lost no update: the counter's value equals its
 * value before the run plus every acknowledged increment. Lost updates are
 * named by the writers that read the same value (each wrote over the others).
 * An operation whose outcome is `unknown` may or may not have counted.
 *
 * @example Read-modify-write in a transaction, with retries, loses nothing
 * ```ts
 * import { assertCounter, compose, busyTimeout, fixtureDb, hammer, retry } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * const report = await hammer({
 *   db,
 *   workload: { kind: "counter", increments: 10 },
 *   writers: 4,
 *   strategy: compose(busyTimeout(5000), retry({ attempts: 1000, delayMs: 1 })),
 * });
 * assertCounter(db, report);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The counter run's report.
 * @throws {AssertionError} If updates were lost, naming the writers involved.
 * @throws {TypeError} If the report is not of a counter run.
 */
export function assertCounter(db: DbLike, report: Report): void {
  const counter = report.settings.workload;
  if (counter.kind !== "counter") {
    throw invalid(
      "report",
      `assertCounter needs a counter run, got a ${counter.kind} run`,
    );
  }
  const { table } = counter;
  const found = withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const row = conn.prepare(`SELECT n FROM ${quoteIdent(table)} WHERE id = 1`)
      .get() as { n: number } | undefined;
    return Number(row?.n ?? 0);
  });
  const before = report.baseline.counter ?? 0;
  const ok = report.outcomes.filter((o) => o.outcome === "ok");
  const unknown = report.outcomes.filter((o) => o.outcome === "unknown").length;
  const expected = before + ok.length * counter.by;
  if (found >= expected && found <= expected + unknown * counter.by) return;
  // Writers that read the same value each wrote value + by: all but one of
  // those increments were overwritten.
  const byRead = new Map<number, Outcome[]>();
  for (const o of ok) {
    if (o.read === null) continue;
    byRead.set(o.read, [...(byRead.get(o.read) ?? []), o]);
  }
  const clashes = [...byRead.entries()].filter(([, list]) => list.length > 1);
  const lost = Math.round((expected - found) / counter.by);
  fail(
    `Expected counter ${table} = ${expected} (${before} before + ${ok.length} acknowledged increments of ${counter.by}${
      unknown > 0 ? `, up to ${unknown} more in flight` : ""
    }), found ${found}: ${
      lost > 0 ? `${lost} updates lost` : `${-lost} more than acknowledged`
    }${
      clashes.length > 0
        ? `; writers that read the same value: ${
          listed(clashes, ([value, list]) =>
            `${
              [...new Set(list.map((o) => o.writer))].join(", ")
            } read ${value} (${list.length - 1} of ${list.length} lost)`)
        }`
        : ""
    }`,
    found,
    expected,
    "===",
  );
}

/**
 * Asserts all-or-nothing for a parent/children run: every acknowledged
 * parent is present with all its children, no parent of the run exists
 * without all of them, no child exists without its parent, and no parent of
 * a failed operation is present.
 *
 * @example Multi-statement transactions are atomic
 * ```ts
 * import { assertAllOrNothing, fixtureDb, hammer } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * const report = await hammer({
 *   db,
 *   workload: { kind: "parentChildren", children: 5, operations: 4 },
 *   writers: 3,
 *   busyTimeoutMs: 5000,
 * });
 * assertAllOrNothing(db, report);
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The parent/children run's report.
 * @throws {AssertionError} Listing incomplete parents, orphans, lost and phantom parents.
 * @throws {TypeError} If the report is not of a parent/children run.
 */
export function assertAllOrNothing(db: DbLike, report: Report): void {
  const spec = report.settings.workload;
  if (spec.kind !== "parentChildren") {
    throw invalid(
      "report",
      `assertAllOrNothing needs a parentChildren run, got a ${spec.kind} run`,
    );
  }
  const { parents, orphans } = withConnection(db, (conn) => ({
    parents: conn.prepare(
      `SELECT p.id AS id, p.writer AS writer, p.seq AS seq,
              (SELECT count(*) FROM children c WHERE c.parent_id = p.id) AS n
       FROM parents p WHERE p.id > ? ORDER BY p.id`,
    ).all(report.baseline.maxRowid) as {
      id: number;
      writer: number;
      seq: number;
      n: number;
    }[],
    orphans: (conn.prepare(
      `SELECT count(*) AS n FROM children c
       WHERE NOT EXISTS (SELECT 1 FROM parents p WHERE p.id = c.parent_id)`,
    ).get() as { n: number }).n,
  }));
  const byOp = new Map(parents.map((p) => [`${p.writer}:${p.seq}`, p]));
  const problems: string[] = [];
  const incomplete = parents.filter((p) => p.n !== spec.children);
  if (incomplete.length > 0) {
    problems.push(
      `  ${incomplete.length} parents without exactly ${spec.children} children: ${
        listed(incomplete, (p) =>
          `parent ${p.id} (writer ${p.writer} op ${p.seq}) has ${p.n}`)
      }`,
    );
  }
  if (orphans > 0) problems.push(`  ${orphans} children without a parent`);
  const lost = report.outcomes.filter((o) =>
    o.outcome === "ok" && !byOp.has(`${o.writer}:${o.seq}`)
  );
  if (lost.length > 0) {
    problems.push(
      `  ${lost.length} acknowledged parents missing: ${
        listed(lost, (o) => `writer ${o.writer} op ${o.seq}`)
      }`,
    );
  }
  const phantom = report.outcomes.filter((o) =>
    (o.outcome === "busy" || o.outcome === "locked" || o.outcome === "error") &&
    byOp.has(`${o.writer}:${o.seq}`)
  );
  if (phantom.length > 0) {
    problems.push(
      `  ${phantom.length} parents present though their operation failed: ${
        listed(phantom, (o) => `writer ${o.writer} op ${o.seq} (${o.outcome})`)
      }`,
    );
  }
  if (problems.length > 0) {
    fail(
      `Expected every transaction of parents and children all or nothing:\n${
        problems.join("\n")
      }`,
    );
  }
}
