// Private: the checks of a workload's options, shared by the workload
// modules. Each names the option and the value it rejects.
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { Row } from "./table.ts";
import { invalid } from "./_validate.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isPlainRowValue(value: unknown): boolean {
  return value === null || typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" || typeof value === "boolean" ||
    value instanceof Uint8Array;
}

/** A boolean option. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw invalid(name, `${JSON.stringify(value)} (expected true or false)`);
  }
  return value;
}

/** A module given as an absolute path or a URL, as a URL. */
export function checkModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string" && module !== "") {
    if (/^(file|https?|data|blob|jsr|npm):/.test(module)) return module;
    if (isAbsolute(module)) return pathToFileURL(module).href;
  }
  throw invalid(
    "module",
    `${
      JSON.stringify(module)
    } (expected an absolute path or a URL, e.g. new URL("./task.ts", import.meta.url))`,
  );
}

/** Values every writer gets: what structured cloning keeps. */
export function checkParams(params: unknown): unknown {
  try {
    return structuredClone(params);
  } catch (error) {
    throw invalid(
      "params",
      `${(error as Error).message} (they are sent to every writer)`,
      TypeError,
      { cause: error },
    );
  }
}

/** A table name. */
export function checkTable(table: unknown): string {
  if (typeof table !== "string" || table === "") {
    throw invalid("table", `${JSON.stringify(table)} (expected a table name)`);
  }
  return table;
}

/** Rows SQLite can store, all with the same columns: the columns. */
export function checkRows(rows: readonly Row[]): string[] {
  const first = rows[0];
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw invalid("rows[0]", `expected an object of column values`);
  }
  const columns = Object.keys(first);
  const expected = columns.join(", ");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw invalid(`rows[${i}]`, `expected an object of column values`);
    }
    const keys = Object.keys(row);
    // Values are read by name: the same columns in another order are fine.
    if (
      keys.length !== columns.length ||
      (keys.some((key, k) => key !== columns[k]) &&
        !keys.every((key) => Object.hasOwn(first, key)))
    ) {
      throw invalid(
        `rows[${i}]`,
        `its columns (${keys.join(", ")}) differ from rows[0]'s (${expected})`,
      );
    }
    for (const key of keys) {
      const value = row[key];
      if (!isPlainRowValue(value)) {
        throw invalid(
          `rows[${i}].${key}`,
          `${typeof value} cannot be stored (expected string, number, bigint, boolean, null or Uint8Array)`,
        );
      }
      if (
        typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX)
      ) {
        throw invalid(
          `rows[${i}].${key}`,
          `${value}n is outside SQLite's 64-bit integer range (-2^63 to 2^63 - 1)`,
          RangeError,
        );
      }
    }
  }
  return columns;
}
