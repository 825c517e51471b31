// Private: a short fingerprint of a row's values, so a row read back from the
// database can be matched to the write that put it there without keeping the
// (possibly very large) values in the report.
import { type Connection, quoteIdent } from "./sqlite/_connection.ts";
import type { SqlValue } from "./driver.ts";

function mix(h1: number, h2: number, code: number): [number, number] {
  h1 = Math.imul(h1 ^ code, 0x01000193);
  h2 = Math.imul(h2 ^ code, 0x5bd1e995);
  h2 ^= h2 >>> 15;
  return [h1, h2];
}

/**
 * Fingerprints values in column order. Numbers, bigints and text hash alike by
 * their text (SQLite's affinity may turn one into the other); blobs by bytes
 * (a driver may return them as `ArrayBuffer`).
 */
export function fingerprint(
  values: readonly (SqlValue | boolean | ArrayBuffer)[],
): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  let length = 0;
  for (const value of values) {
    if (value === null || value === undefined) {
      [h1, h2] = mix(h1, h2, 0x10000);
      continue;
    }
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value);
      [h1, h2] = mix(h1, h2, 0x10001);
      for (let i = 0; i < bytes.length; i++) [h1, h2] = mix(h1, h2, bytes[i]);
      length += bytes.length;
      continue;
    }
    const text = typeof value === "boolean"
      ? (value ? "1" : "0")
      : String(value);
    [h1, h2] = mix(h1, h2, 0x10002);
    for (let i = 0; i < text.length; i++) {
      [h1, h2] = mix(h1, h2, text.charCodeAt(i));
    }
    length += text.length;
  }
  return `${length.toString(36)}:${(h1 >>> 0).toString(16).padStart(8, "0")}${
    (h2 >>> 0).toString(16).padStart(8, "0")
  }`;
}

/** A column's type affinity: how SQLite converts the values stored in it. */
export type Affinity = "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC";

/**
 * The affinity of a column declared with `declared` (SQLite's five rules, in
 * order). In a STRICT table an `ANY` column keeps values as given.
 */
export function affinityOf(declared: string, strict = false): Affinity {
  const type = declared.toUpperCase();
  if (strict && type === "ANY") return "BLOB";
  if (type.includes("INT")) return "INTEGER";
  if (/CHAR|CLOB|TEXT/.test(type)) return "TEXT";
  if (type.includes("BLOB") || type === "") return "BLOB";
  if (/REAL|FLOA|DOUB/.test(type)) return "REAL";
  return "NUMERIC";
}

/**
 * Text SQLite reads as a number (an integer or real literal, spaces around
 * allowed; not hex, not "2024-01-02"): a numeric column stores it converted.
 */
export const NUMERIC_TEXT = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Whether SQLite may store `value` in a column of `affinity` as something
 * that reads back with other text: a number into TEXT (node:sqlite binds 5
 * as 5.0, stored as "5.0"), text that looks like a number into a numeric
 * column ("02134" → 2134, "10.50" → 10.5), a bigint into REAL, NaN or an
 * infinity anywhere. Cheap, and false for the common cases (text into TEXT).
 */
function mayConvert(value: SqlValue, affinity: Affinity): boolean {
  switch (typeof value) {
    case "string":
      return affinity !== "TEXT" && affinity !== "BLOB" &&
        NUMERIC_TEXT.test(value);
    case "number":
      return affinity === "TEXT" || !Number.isFinite(value);
    case "bigint":
      return affinity === "REAL";
    default:
      return false;
  }
}

/** Reads a column back as the orchestrator does: integers as text. */
const readBack = (column: string): string =>
  `CASE WHEN typeof(${column}) = 'integer' THEN CAST(${column} AS TEXT) ELSE ${column} END`;

/**
 * Fingerprints rows as SQLite will store them in columns of the given
 * affinities, so a row read back matches the write that put it there even
 * where SQLite converted a value. A value that may be converted is stored
 * once in an in-memory database opened with `open` (the run's driver binds
 * values as the writers will), and read back from there.
 */
export class StoredFingerprints {
  #affinities: readonly Affinity[];
  #open: () => Connection;
  #conn: Connection | null = null;
  #insert = new Map<Affinity, ReturnType<Connection["prepare"]>>();

  /**
   * @param affinities The affinity of each column, in row order.
   * @param open Opens an in-memory database (only if a value needs it).
   */
  constructor(affinities: readonly Affinity[], open: () => Connection) {
    this.#affinities = affinities;
    this.#open = open;
  }

  /** The fingerprint of `row` as it will be stored. */
  of(row: SqlValue[]): string {
    const affinities = this.#affinities;
    let stored: (SqlValue | ArrayBuffer)[] | null = null;
    for (let i = 0; i < row.length; i++) {
      if (!mayConvert(row[i], affinities[i])) continue;
      stored ??= row.slice();
      stored[i] = this.#store(row[i], affinities[i]);
    }
    return fingerprint(stored ?? row);
  }

  /** Closes the in-memory database, if one was opened. */
  close(): void {
    this.#conn?.close();
    this.#conn = null;
    this.#insert.clear();
  }

  #store(value: SqlValue, affinity: Affinity): SqlValue | ArrayBuffer {
    let insert = this.#insert.get(affinity);
    if (insert === undefined) {
      this.#conn ??= this.#open();
      const table = `stored_${affinity.toLowerCase()}`;
      this.#conn.exec(`CREATE TABLE ${table} (v ${affinity})`);
      // One row, replaced each time: nothing accumulates.
      insert = this.#conn.prepare(
        `INSERT OR REPLACE INTO ${table} (rowid, v) VALUES (1, ?) RETURNING ${
          readBack("v")
        } AS v`,
      );
      this.#insert.set(affinity, insert);
    }
    return insert.get(value)?.v as SqlValue | ArrayBuffer;
  }
}

/** A row added after a run's baseline: its rowid and fingerprint. */
export interface NewRow {
  rowid: number;
  fingerprint: string;
}

/**
 * The rows of `table` with a rowid above `maxRowid`, and those with a rowid
 * in `alsoRowids` (rows a run wrote with keys of their own, below the
 * baseline's largest), fingerprinted over `columns` (the columns a run
 * wrote), in rowid order.
 */
export function readNewRows(
  conn: Connection,
  table: string,
  columns: readonly string[],
  maxRowid: number,
  alsoRowids: readonly number[] = [],
): NewRow[] {
  // Integers come back as text, so no driver rounds one above 2^53.
  const select = `SELECT rowid AS __dbhammer_rowid${
    columns.map((c) => `, ${readBack(quoteIdent(c))} AS ${quoteIdent(c)}`)
      .join("")
  } FROM ${quoteIdent(table)} WHERE rowid > ?`;
  // Two index lookups, not one scan of the whole table.
  const sql = alsoRowids.length > 0
    ? `${select} UNION ALL ${
      select.replace(
        "WHERE rowid > ?",
        "WHERE rowid <= ? AND rowid IN (SELECT value FROM json_each(?))",
      )
    } ORDER BY 1`
    : `${select} ORDER BY rowid`;
  const params = alsoRowids.length > 0
    ? [maxRowid, maxRowid, JSON.stringify(alsoRowids)]
    : [maxRowid];
  return (conn.prepare(sql).all(...params) as Record<
    string,
    SqlValue | ArrayBuffer
  >[])
    .map(
      (row) => ({
        rowid: Number(row.__dbhammer_rowid),
        fingerprint: fingerprint(columns.map((c) => row[c])),
      }),
    );
}
