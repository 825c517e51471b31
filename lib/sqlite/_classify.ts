// Private: turning whatever a SQLite binding threw into plain, classified data.

import type { ClassifiedError, ErrorClass } from "../driver.ts";
import { CODES_BY_NAME } from "./_result_codes.ts";

export type { ClassifiedError, ErrorClass };

export { codeName } from "./_result_codes.ts";

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
    if (code === null && typeof named === "string") {
      code = CODES_BY_NAME.get(named) ?? null;
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
