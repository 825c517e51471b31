// Private: what became of every write of an insert run, checked against the
// table: acknowledged writes lost, copies duplicated, failed writes present.
import { pathOf, requireTable, withConnection } from "./_db.ts";
import { readNewRows } from "./_fingerprint.ts";
import { quoteIdent } from "./sqlite/_connection.ts";
import type { DbLike } from "./fixture.ts";
import type { Outcome, Report } from "./report/report.ts";

/** One row a run wrote (or tried to). */
export interface Written {
  outcome: Outcome;
  key: number;
  fingerprint: string;
}

/** The comparison of a run's outcomes with the table. */
export interface Acknowledgement {
  /** Rows before the run's baseline, and the rows after it. */
  found: { before: number; rows: { rowid: number; fingerprint: string }[] };
  /** Acknowledged writes not in the table as written. */
  lost: { written: Written; rowid: number; why: string }[];
  /** Another copy of a write this run made. */
  duplicated: { rowid: number; of: Written }[];
  /** Rows nobody acknowledged: a failed write, or not from this run. */
  phantom: { rowid: number; from: Written | null }[];
  /** Rows acknowledged. */
  acknowledged: number;
}

/** Compares a run's outcomes with the table's rows after its baseline. */
export function acknowledgement(db: DbLike, report: Report): Acknowledgement {
  const workload = report.settings.workload;
  if (workload.kind !== "insert") {
    throw new TypeError(
      `Acknowledged rows are those of an insert run, not a ${workload.kind} run`,
    );
  }
  const { table, columns } = workload;
  const { baseline } = report;
  // Rows acknowledged with rowids at or below the baseline's largest: keys
  // the rows brought themselves (an INTEGER PRIMARY KEY given in the row).
  // The run's baseline lists them for every row, whatever its outcome; the
  // acknowledged ones are added for a report made without that list.
  const low = [
    ...new Set([
      ...(baseline.lowKeys ?? []),
      ...report.outcomes.flatMap((o) =>
        o.outcome === "ok"
          ? o.rowids.filter((rowid) => rowid <= baseline.maxRowid)
          : []
      ),
    ]),
  ];
  const found = withConnection(db, (conn) => {
    requireTable(conn, table, pathOf(db));
    const before = conn.prepare(
      `SELECT count(*) AS n FROM ${quoteIdent(table)} WHERE rowid <= ?`,
    ).get(baseline.maxRowid) as { n: number };
    const rows = readNewRows(conn, table, columns, baseline.maxRowid, low);
    // The run's own rows among them are not rows from before the run.
    const lowFound = rows.filter((r) => r.rowid <= baseline.maxRowid).length;
    return { before: Number(before.n) - lowFound, rows };
  });

  const present = new Map(found.rows.map((r) => [r.rowid, r.fingerprint]));
  const claimed = new Set<number>();
  const lost: { written: Written; rowid: number; why: string }[] = [];
  const byPrint = (kinds: (o: Outcome) => boolean): Map<string, Written[]> => {
    const map = new Map<string, Written[]>();
    for (const o of report.outcomes) {
      if (!kinds(o)) continue;
      o.fingerprints.forEach((fp, i) => {
        const list = map.get(fp) ?? [];
        list.push({ outcome: o, key: o.keys[i], fingerprint: fp });
        map.set(fp, list);
      });
    }
    return map;
  };
  let acknowledged = 0;
  for (const o of report.outcomes) {
    if (o.outcome !== "ok") continue;
    o.rowids.forEach((rowid, i) => {
      acknowledged++;
      const written = {
        outcome: o,
        key: o.keys[i],
        fingerprint: o.fingerprints[i],
      };
      const fp = present.get(rowid);
      if (fp === undefined) lost.push({ written, rowid, why: "absent" });
      else if (fp !== written.fingerprint) {
        lost.push({ written, rowid, why: "other values" });
      } else if (claimed.has(rowid)) {
        lost.push({ written, rowid, why: "rowid reported twice" });
      } else claimed.add(rowid);
    });
  }
  lost.sort((a, b) => a.written.key - b.written.key);
  const unresolved = byPrint((o) => o.outcome === "unknown");
  const inFlight = byPrint((o) => o.outcome === "unknown");
  const failed = byPrint((o) =>
    o.outcome === "busy" || o.outcome === "locked" || o.outcome === "error"
  );
  const acked = byPrint((o) => o.outcome === "ok");
  const duplicated: { rowid: number; of: Written }[] = [];
  const phantom: { rowid: number; from: Written | null }[] = [];
  for (const row of found.rows) {
    if (claimed.has(row.rowid)) continue;
    const resolved = unresolved.get(row.fingerprint);
    if (resolved !== undefined && resolved.length > 0) {
      resolved.shift();
      continue;
    }
    const failedWrite = failed.get(row.fingerprint)?.[0];
    if (failedWrite !== undefined) {
      failed.get(row.fingerprint)?.shift();
      phantom.push({ rowid: row.rowid, from: failedWrite });
      continue;
    }
    // Another copy of a write this run made (acknowledged, or in flight and
    // already found once).
    const original = acked.get(row.fingerprint)?.[0] ??
      inFlight.get(row.fingerprint)?.[0];
    if (original !== undefined) {
      duplicated.push({ rowid: row.rowid, of: original });
    } else phantom.push({ rowid: row.rowid, from: null });
  }
  return { found, lost, duplicated, phantom, acknowledged };
}
