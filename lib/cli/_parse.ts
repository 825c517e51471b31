// Private: the command line parsed and checked; the library's errors as
// usage errors that name the flag.
import { parseArgs } from "node:util";
import { DatabaseError } from "../errors.ts";
import type { FixtureDb } from "../fixture.ts";
import { type InvalidOption, isInvalidOption } from "../_validate.ts";
import {
  busyTimeout,
  compose,
  fileLock,
  none,
  queue,
  retry,
  type Strategy,
} from "../strategies.ts";
import { COMMANDS } from "./_flags.ts";

/** Bad usage or bad input: exit code 2. */
export class UsageError extends Error {}

export function parse(
  command: string,
  args: string[],
): {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  const options: Record<string, { type: "string" | "boolean" }> = {
    help: { type: "boolean" },
  };
  for (const flag of COMMANDS[command].flags) {
    options[flag.name] = { type: flag.type };
  }
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals: command === "init",
    });
    return {
      values: values as Record<string, string | boolean | undefined>,
      positionals,
    };
  } catch (error) {
    throw new UsageError(
      `${
        (error as Error).message.replace(/\.?\s*To specify.*$/s, "")
      } (see dbhammer ${command} --help)`,
    );
  }
}

/**
 * `--writers -1` as `--writers=-1`: parseArgs takes a value that starts with
 * a dash for an option, and its message ("ambiguous") would hide ours.
 */
export function joinNegativeValues(
  args: string[],
  options: Record<string, { type: "string" | "boolean" }>,
): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && options[name]?.type === "string" &&
      next !== undefined && /^-\d/.test(next)
    ) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else joined.push(args[i]);
  }
  return joined;
}

/** A flag's value as the message shows it: numbers bare, text quoted. */
export function shown(raw: unknown): string {
  return /^-?\d+(\.\d+)?$/.test(String(raw))
    ? String(raw)
    : JSON.stringify(raw);
}

export function int(
  values: Record<string, unknown>,
  name: string,
  min = 0,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `Invalid --${name}: ${shown(raw)} (expected an integer ≥ ${min})`,
    );
  }
  return n;
}

export function num(
  values: Record<string, unknown>,
  name: string,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (String(raw).trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(
      `Invalid --${name}: ${shown(raw)} (expected a number ≥ 0)`,
    );
  }
  return n;
}

export function strategyOf(
  values: Record<string, unknown>,
): { strategy?: Strategy; busyTimeoutMs?: number } {
  const given = int(values, "busy-timeout");
  const raw = values.strategy as string | undefined;
  if (raw === undefined) return { busyTimeoutMs: given };
  const parts: Strategy[] = [];
  let busyTimeoutMs = given;
  for (const part of raw.split("+")) {
    switch (part) {
      case "none":
        parts.push(none());
        break;
      case "busy-timeout":
        busyTimeoutMs ??= 5000;
        parts.push(busyTimeout(busyTimeoutMs));
        break;
      case "retry":
        parts.push(retry());
        break;
      case "file-lock":
        parts.push(fileLock());
        break;
      case "queue":
        parts.push(queue());
        break;
      default:
        throw new UsageError(
          `Invalid --strategy: ${
            JSON.stringify(raw)
          } (expected none, busy-timeout, retry, file-lock, queue, or several joined by +)`,
        );
    }
  }
  let strategy: Strategy;
  try {
    strategy = parts.length === 1 ? parts[0] : compose(...parts);
  } catch (error) {
    throw new UsageError(
      `Invalid --strategy: ${JSON.stringify(raw)}: ${(error as Error).message}`,
    );
  }
  return { strategy, busyTimeoutMs };
}

/** The library's option names, as the flags that set them. */
export const FLAG_OF: Record<string, string> = {
  busyTimeoutMs: "--busy-timeout",
  payloadBytes: "--payload",
  rows: "--rows",
  journalMode: "--journal",
  synchronous: "--synchronous",
  holdMs: "--hold",
  rowsPerTransaction: "--rows-per-tx",
  deadlineMs: "--deadline",
  threads: "--threads",
  writers: "--writers",
  transaction: "--transaction",
  mode: "--mode",
  from: "--from",
  to: "--to",
  levels: "--levels",
  column: "--column",
  table: "--table",
};

/**
 * The message of a library's error about one option, naming the flag that
 * set it. The rows the CLI generates have one column, set by --column.
 */
export function flagMessage(
  error: InvalidOption,
  message: string,
  values?: Record<string, unknown>,
): string {
  const facts = error as InvalidOption & {
    reason?: string;
    column?: string;
    table?: string;
  };
  if (facts.reason === "not-a-column") {
    return `Invalid --column: ${error.detail}`;
  }
  if (facts.reason === "missing-column") {
    return `Invalid --table: ${facts.table} needs a value for column "${facts.column}" (NOT NULL without a default), and the CLI writes only --column ${
      values?.column ?? "msg"
    }: give "${facts.column}" a default in the schema, or write it with --column ${facts.column}`;
  }
  const flag = FLAG_OF[error.option.replace(/\[\d+\]$/, "")];
  return flag === undefined
    ? message
    : message.replace(`Invalid ${error.option}:`, `Invalid ${flag}:`);
}

/**
 * A validation error of the library as a usage error naming the flag. `db`,
 * given, is the database the run used: a temp fixture built from --schema is
 * named by that flag, not by its temp path.
 */
export function asUsage(
  error: unknown,
  db?: FixtureDb | string,
  values?: Record<string, unknown>,
): unknown {
  if (error instanceof DatabaseError) {
    // The user's database (--db), or the temp one built from their schema.
    const flag = typeof db === "object" && values?.schema !== undefined
      ? `--schema ${values.schema}`
      : typeof db === "object"
      ? null
      : "--db";
    const message = typeof db === "object"
      ? error.message.replaceAll(db.path, "the temp database")
      : error.message;
    return new UsageError(
      flag === null ? message : `Invalid ${flag}: ${message}`,
    );
  }
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    return error;
  }
  let message = error.message;
  if (typeof db === "object" && values?.schema !== undefined) {
    message = message.replaceAll(
      db.path,
      `the database built from --schema ${values.schema}`,
    );
  }
  if (isInvalidOption(error)) {
    message = flagMessage(error, message, values);
  }
  // Strategies named as the API writes them, in prose: as flags.
  message = message
    .replace(/strategy none\b/, "--strategy none")
    .replace(/\bfileLock\(\)/g, "--strategy file-lock");
  return new UsageError(message);
}
