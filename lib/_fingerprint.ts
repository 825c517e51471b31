// Private: a short fingerprint of a row's values, so a row read back from the
// database can be matched to the write that put it there without keeping the
// (possibly very large) values in the report.
import { type Connection, quoteIdent } from "./_sqlite.ts";
import type { SqlValue } from "./table.ts";

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

/** A row added after a run's baseline: its rowid and fingerprint. */
export interface NewRow {
  rowid: number;
  fingerprint: string;
}

/**
 * The rows of `table` with a rowid above `maxRowid`, fingerprinted over
 * `columns` (the columns a run wrote), in rowid order.
 */
export function readNewRows(
  conn: Connection,
  table: string,
  columns: readonly string[],
  maxRowid: number,
): NewRow[] {
  // Integers come back as text, so no driver rounds one above 2^53.
  const select = conn.prepare(
    `SELECT rowid AS __dbhammer_rowid${
      columns.map((c) =>
        `, CASE WHEN typeof(${quoteIdent(c)}) = 'integer' THEN CAST(${
          quoteIdent(c)
        } AS TEXT) ELSE ${quoteIdent(c)} END AS ${quoteIdent(c)}`
      ).join("")
    } FROM ${quoteIdent(table)} WHERE rowid > ? ORDER BY rowid`,
  );
  return (select.all(maxRowid) as Record<string, SqlValue | ArrayBuffer>[]).map(
    (row) => ({
      rowid: Number(row.__dbhammer_rowid),
      fingerprint: fingerprint(columns.map((c) => row[c])),
    }),
  );
}
