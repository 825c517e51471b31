/**
 * Assertions that the database holds what the run acknowledged, and is whole.
 *
 * @module
 */
import { pathOf, withConnection } from "../_db.ts";
import type { DbLike } from "../fixture.ts";
import { acknowledgement } from "../_acknowledged.ts";
import type { Report } from "../report/report.ts";
import { workloadTable } from "../plan.ts";
import { fail, insertReport, keyRanges, listed } from "./_common.ts";

/**
 * Asserts that every write a run acknowledged (reported `ok`) is in the table
 * exactly once, with its values, and that no write reported failed is there.
 * Rows are identified by the rowid each insert returned and by a fingerprint
 * of their values, so it works without a unique column; rows that existed
 * before the run are accounted for. Operations whose outcome is `unknown` may
 * be present or absent.
 *
 * @example Nothing lost, nothing duplicated
 * ```ts
 * import { assertAcknowledged, createTable, fixtureDb, generateRows, insertRowsInParallel } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb();
 * createTable(db, { name: "messages", columns: { msg: "TEXT" } });
 * const report = await insertRowsInParallel(db, generateRows(8), { table: "messages" });
 * assertAcknowledged(db, report); // holds whether or not some writers got lock errors
 * ```
 *
 * @param db A fixture or a database file path.
 * @param report The run's report.
 * @throws {AssertionError} Listing lost, duplicated and phantom rows by key and rowid.
 * @throws {TypeError} If the report is not of an insert run.
 */
export function assertAcknowledged(db: DbLike, report: Report): void {
  insertReport("assertAcknowledged", report);
  const table = workloadTable(report.settings.workload);
  const { baseline } = report;
  const { found, lost, duplicated, phantom, acknowledged } = acknowledgement(
    db,
    report,
  );
  const problems: string[] = [];
  if (found.before !== baseline.rows) {
    problems.push(
      `  rows that existed before the run: expected ${baseline.rows}, found ${found.before}`,
    );
  }
  if (lost.length > 0) {
    problems.push(
      `  lost (acknowledged, not in the table as written): keys ${
        keyRanges(lost.map((l) => l.written.key))
      }; ${
        listed(lost, (l) =>
          `#${l.written.key} (writer ${l.written.outcome.writer}, rowid ${l.rowid}, ${l.why})`)
      }`,
    );
  }
  if (duplicated.length > 0) {
    problems.push(
      `  duplicated (an acknowledged row present again): ${
        listed(duplicated, (d) =>
          `rowid ${d.rowid} repeats #${d.of.key} (writer ${d.of.outcome.writer})`)
      }`,
    );
  }
  if (phantom.length > 0) {
    problems.push(
      `  phantom (present, not acknowledged): ${
        listed(phantom, (p) =>
          p.from === null
            ? `rowid ${p.rowid} (not written by this run)`
            : `rowid ${p.rowid} = #${p.from.key} (writer ${p.from.outcome.writer}, reported ${p.from.outcome.outcome})`)
      }`,
    );
  }
  if (problems.length > 0) {
    fail(
      `Expected every acknowledged write in ${table} exactly once and no failed write: ${lost.length} lost, ${duplicated.length} duplicated, ${phantom.length} phantom (${
        acknowledged - lost.length
      } of ${acknowledged} acknowledged rows present)\n${problems.join("\n")}`,
    );
  }
}

/**
 * Asserts that `PRAGMA integrity_check` finds nothing wrong.
 *
 * @example A fresh fixture is intact
 * ```ts
 * import { assertIntegrity, fixtureDb } from "@dbhammer/dbhammer";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x)" });
 * assertIntegrity(db);
 * ```
 *
 * @param db A fixture or a database file path.
 * @throws {AssertionError} Listing what the check found.
 */
export function assertIntegrity(db: DbLike): void {
  const found = withConnection(db, (conn) => {
    try {
      const statement = conn.prepare("PRAGMA integrity_check");
      return (statement.all() as { integrity_check: string }[]).map((r) =>
        r.integrity_check
      );
    } catch (error) {
      // A damaged enough file makes the check itself fail.
      return [`integrity_check could not run: ${(error as Error).message}`];
    }
  });
  if (found.length !== 1 || found[0] !== "ok") {
    fail(
      `Expected integrity_check "ok" for ${
        pathOf(db)
      }, found ${found.length} problem${found.length === 1 ? "" : "s"}: ${
        listed(found, (s) => s)
      }`,
      found,
      ["ok"],
    );
  }
}
