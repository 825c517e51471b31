// Private: turning whatever a SQLite binding threw into plain, classified data.

import type { ClassifiedError, ErrorClass } from "./driver.ts";

export type { ClassifiedError, ErrorClass };

/**
 * A lock failure of the strategy itself (file lock or queue), not SQLite's:
 * recorded as `busy` with no code.
 */
export class StrategyLockError extends Error {}

const CODE_NAMES: Record<string, number> = {
  SQLITE_BUSY: 5,
  SQLITE_LOCKED: 6,
  SQLITE_BUSY_RECOVERY: 261,
  SQLITE_LOCKED_SHAREDCACHE: 262,
  SQLITE_BUSY_SNAPSHOT: 517,
  SQLITE_BUSY_TIMEOUT: 773,
};

const NAMES_BY_CODE: Record<number, string> = Object.fromEntries(
  Object.entries(CODE_NAMES).map(([name, code]) => [code, name]),
);

/** SQLite's name for a result code, e.g. `SQLITE_BUSY_SNAPSHOT` for 517. */
export function codeName(code: number): string {
  return NAMES_BY_CODE[code] ?? NAMES_BY_CODE[code & 0xff] ?? `SQLITE_${code}`;
}

function numberField(error: object, key: string): number | null {
  const value = (error as Record<string, unknown>)[key];
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

/**
 * Classifies an error thrown by a SQLite binding. Accepts node:sqlite's shape
 * (`errcode`), libsql's (`code: "SQLITE_BUSY"`, `rawCode`) and a plain `Error`
 * whose message is SQLite's text (as `@db/sqlite` throws on statement paths).
 * It is every driver's default `classify`.
 *
 * @example A lock error without a code, classified by its text
 * ```ts
 * import { classifyError } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(classifyError(new Error("database is locked")), {
 *   outcome: "busy",
 *   code: 5,
 *   message: "database is locked",
 * });
 * ```
 *
 * @param error Whatever the binding threw.
 * @returns The outcome class, SQLite's code (or `null`) and the message.
 */
export function classifyError(error: unknown): ClassifiedError {
  const message = error instanceof Error
    ? error.message
    : typeof error === "string"
    ? error
    : String(error);
  let code: number | null = null;
  if (typeof error === "object" && error !== null) {
    code = numberField(error, "errcode") ?? numberField(error, "rawCode") ??
      numberField(error, "extendedCode");
    const named = (error as Record<string, unknown>).code;
    if (code === null && typeof named === "string" && named in CODE_NAMES) {
      code = CODE_NAMES[named];
    }
  }
  if (code === null) {
    // No code on this path: fall back to SQLite's own text.
    if (/\bdatabase is locked\b/i.test(message)) code = 5;
    else if (/\bdatabase (table|schema) is locked\b/i.test(message)) code = 6;
  }
  const primary = code === null ? null : code & 0xff;
  const outcome: ErrorClass = primary === 5
    ? "busy"
    : primary === 6
    ? "locked"
    : "error";
  return { outcome, code, message };
}
