/**
 * Example rows for a run.
 *
 * @module
 */
import type { Row, SqlValue } from "./table.ts";
import { invalid, rejectUnknownOptions } from "./_validate.ts";

/** Options for {@linkcode generateRows}. */
export interface GenerateRowsOptions {
  /**
   * Column that gets a unique UUID in every row.
   *
   * @default {"msg"}
   */
  column?: string;
  /**
   * Size of that column's value in bytes: the UUID followed by filler, so
   * rows can be made as large as a test needs. At least 36 (a UUID).
   *
   * @default {36}
   */
  payloadBytes?: number;
  /**
   * More columns: a fixed value, or a function of the row index.
   *
   * @default {{}}
   */
  columns?: Record<string, SqlValue | ((index: number) => SqlValue)>;
}

const UUID_BYTES = 36;
/**
 * Largest payload: under V8's longest string (2^29 − 24 characters) and
 * SQLite's default SQLITE_MAX_LENGTH (10^9 bytes).
 */
const MAX_PAYLOAD_BYTES = 500_000_000;

/**
 * Makes `n` rows; by default `{ msg: <unique UUID> }`, matching the example
 * table `messages(msg TEXT)`.
 *
 * @example Rows for the example table
 * ```ts
 * import { generateRows } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * const rows = generateRows(3);
 * assert.equal(rows.length, 3);
 * assert.equal(new Set(rows.map((r) => r.msg)).size, 3);
 * ```
 *
 * @example Large rows with another column
 * ```ts
 * import { generateRows } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * const rows = generateRows(2, { payloadBytes: 1_000_000, columns: { n: (i) => i } });
 * assert.equal((rows[1].msg as string).length, 1_000_000);
 * assert.equal(rows[1].n, 1);
 * ```
 *
 * @param n How many rows.
 * @param options Column name, payload size, extra columns.
 * @returns The rows.
 * @throws {RangeError} If `n` is negative or not an integer, or `payloadBytes` is below 36 or above 500 000 000.
 * @throws {TypeError} If an option has the wrong type.
 */
export function generateRows(
  n: number,
  options: GenerateRowsOptions = {},
): Row[] {
  if (!Number.isInteger(n) || n < 0) {
    throw invalid("n", `${n} (expected an integer >= 0)`, RangeError);
  }
  if (typeof options !== "object" || options === null) {
    throw invalid("generateRows options", `${String(options)}`);
  }
  rejectUnknownOptions("generateRows", options, [
    "column",
    "payloadBytes",
    "columns",
  ]);
  const column = options.column ?? "msg";
  if (typeof column !== "string" || column === "") {
    throw invalid("column", `${JSON.stringify(column)}`);
  }
  const payloadBytes = options.payloadBytes ?? UUID_BYTES;
  if (
    !Number.isInteger(payloadBytes) || payloadBytes < UUID_BYTES ||
    payloadBytes > MAX_PAYLOAD_BYTES
  ) {
    throw invalid(
      "payloadBytes",
      `${payloadBytes} (expected an integer from ${UUID_BYTES} to ${MAX_PAYLOAD_BYTES})`,
      RangeError,
    );
  }
  const extra = Object.entries(options.columns ?? {});
  if (extra.some(([name]) => name === column)) {
    throw invalid("columns", `"${column}" is the UUID column`);
  }
  const filler = "x".repeat(payloadBytes - UUID_BYTES);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const row: Row = { [column]: crypto.randomUUID() + filler };
    for (const [name, value] of extra) {
      row[name] = typeof value === "function" ? value(i) : value;
    }
    rows.push(row);
  }
  return rows;
}
