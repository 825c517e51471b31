// Private: what the assertions share: the insert-run check, failing with
// a list that stays short.
import { AssertionError } from "node:assert";
import type { Report } from "../report/report.ts";
import { invalid } from "../_validate.ts";

/**
 * The report of an insert run, or a TypeError naming what `name` needs: the
 * other workloads record no rowids, so an order or an acknowledgement
 * checked on them would check nothing.
 */
export function insertReport(name: string, report: Report): Report {
  if (
    typeof report !== "object" || report === null ||
    typeof report.settings !== "object" || !Array.isArray(report.outcomes)
  ) {
    throw invalid(
      "report",
      `${name} needs a run's report, got ${
        report === null ? "null" : typeof report
      }`,
    );
  }
  if (report.settings.workload.kind !== "insert") {
    throw invalid(
      "report",
      `${name} needs an insert run (its rows are known by rowid), got a ${report.settings.workload.kind} run`,
    );
  }
  return report;
}

export const MAX_LISTED = 20;

export function fail(
  message: string,
  actual?: unknown,
  expected?: unknown,
  operator?: string,
): never {
  throw new AssertionError({ message, actual, expected, operator });
}

/** `#0-4, #7, #9-10`: sorted keys as compact ranges. */
export function keyRanges(keys: number[]): string {
  const sorted = [...new Set(keys)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `#${sorted[i]}` : `#${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

export function listed<T>(items: T[], show: (item: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map(show).join(", ");
  return items.length > MAX_LISTED
    ? `${shown}, … ${items.length - MAX_LISTED} more`
    : shown;
}
