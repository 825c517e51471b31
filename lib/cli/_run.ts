// Private: `dbhammer run`.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { acknowledgement } from "../_acknowledged.ts";
import { DEFAULT_DRIVER } from "../sqlite/_load.ts";
import { DeadlineError, RunAbortedError } from "../errors.ts";
import { type FixtureDb, fixtureDb } from "../fixture.ts";
import { generateRows } from "../generate_rows.ts";
import { htmlReport } from "../report/html.ts";
import { insertRowsInParallel } from "../insert_rows_in_parallel.ts";
import { MAX_WRITERS, type RunOptions, workloadTable } from "../plan.ts";
import { integer } from "../_validate.ts";
import { formatReport } from "../report/format.ts";
import type { Report } from "../report/report.ts";
import { createTable, type Row, rowCount } from "../table.ts";
import { help } from "./_flags.ts";
import { asUsage, int, num, parse, strategyOf, UsageError } from "./_parse.ts";
import { onInterrupt, paint, progressLine } from "./_terminal.ts";

/**
 * Most rows `run` generates: each is an object in memory, with its outcome
 * and fingerprint (the library takes more from code that builds its rows).
 */
export const MAX_CLI_ROWS = 10_000_000;

/** The database a command hammers, and how to clean it up. */
export async function target(
  values: Record<string, unknown>,
): Promise<{ db: FixtureDb | string; cleanup: () => void }> {
  const dbPath = values.db as string | undefined;
  const schema = values.schema as string | undefined;
  const table = (values.table as string | undefined) ?? "messages";
  const column = (values.column as string | undefined) ?? "msg";
  if (dbPath !== undefined && schema !== undefined) {
    throw new UsageError("Give --db or --schema, not both");
  }
  for (const [flag, name] of [["table", table], ["column", column]]) {
    if (name.trim() === "") {
      throw new UsageError(
        `Invalid --${flag}: ${JSON.stringify(name)} (expected a name)`,
      );
    }
  }
  if (dbPath !== undefined) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dbPath);
    } catch {
      throw new UsageError(`Invalid --db: ${dbPath} does not exist`);
    }
    if (!info.isFile) {
      throw new UsageError(`Invalid --db: ${dbPath} is not a file`);
    }
    try {
      // Fails on a file that is not a database, naming it.
      rowCount(resolve(dbPath), "sqlite_schema");
    } catch (error) {
      throw new UsageError(`Invalid --db: ${(error as Error).message}`);
    }
    return { db: resolve(dbPath), cleanup: () => {} };
  }
  if (schema !== undefined && !existsSync(schema)) {
    throw new UsageError(`Invalid --schema: ${schema} does not exist`);
  }
  const journal = values.journal as string | undefined;
  const fixture = await fixtureDb({
    schemaFile: schema,
    journalMode: journal as never,
  }).catch((error) => {
    // Reading or running the user's schema failed: their input, named.
    if (/^Cannot (read|run) schemaFile /.test((error as Error).message)) {
      throw new UsageError(`Invalid --schema: ${(error as Error).message}`);
    }
    throw asUsage(error);
  });
  const cleanup = (): void => fixture[Symbol.dispose]();
  if (schema === undefined) {
    try {
      createTable(fixture, { name: table, columns: { [column]: "TEXT" } });
    } catch (error) {
      cleanup();
      throw asUsage(error);
    }
  }
  return { db: fixture, cleanup };
}

/** A --driver value as a module specifier: names of the built-in drivers, a
 * path relative to the current directory, or a URL. */
export function driverOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === "node:sqlite" || value === "node-sqlite") return DEFAULT_DRIVER;
  if (value === "libsql") {
    return new URL("../drivers/libsql.ts", import.meta.url).href;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value)) {
    return value; // a URL or specifier: file:, https:, jsr:, npm:
  }
  return pathToFileURL(resolve(value)).href;
}

export function runOptions(values: Record<string, unknown>): RunOptions {
  return {
    threads: int(values, "threads", 1),
    journalMode: values.journal as never,
    synchronous: values.synchronous as never,
    transaction: values.transaction as never,
    holdMs: int(values, "hold"),
    rowsPerTransaction: int(values, "rows-per-tx", 1),
    mode: values.mode as never,
    driver: driverOf(values.driver as string | undefined),
    deadlineMs: int(values, "deadline", 1),
    ...strategyOf(values),
  };
}

export function rowsOf(values: Record<string, unknown>, count: number): Row[] {
  const payload = int(values, "payload") ?? 0;
  return generateRows(count, {
    column: (values.column as string | undefined) ?? "msg",
    payloadBytes: payload > 0 ? payload : undefined,
  });
}

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parse("run", args);
  if (values.help) {
    console.log(help("run"));
    return 0;
  }
  const rows = int(values, "rows", 1) ?? 100;
  const writers = int(values, "writers", 1);
  // Checked before the rows are built: too many would exhaust memory first.
  try {
    integer("rows", rows, 1, MAX_CLI_ROWS);
    if (writers !== undefined) integer("writers", writers, 1, MAX_WRITERS);
  } catch (error) {
    throw asUsage(error);
  }
  const maxLockErrors = int(values, "max-lock-errors");
  const maxLost = int(values, "max-lost");
  const minCommits = num(values, "min-commits-per-sec");
  const options = runOptions(values);
  const html = values.html as string | undefined;
  if (html !== undefined) {
    if (html.trim() === "") {
      throw new UsageError(`Invalid --html: "" (expected a file path)`);
    }
    if (!existsSync(dirname(resolve(html)))) {
      throw new UsageError(
        `Invalid --html: ${dirname(resolve(html))} does not exist`,
      );
    }
    if (existsSync(html) && !Deno.statSync(html).isFile) {
      throw new UsageError(`Invalid --html: ${html} is not a file`);
    }
  }
  // Installed before the temp database exists, so none is left behind.
  using interrupt = onInterrupt();
  const { db, cleanup } = await target(values);
  interrupt.cleanup = cleanup;
  // On a terminal only, and never into --json output: stderr, redrawn.
  using progress = values.json || !Deno.stderr.isTerminal()
    ? undefined
    : progressLine();
  try {
    let report: Report;
    let deadline: DeadlineError | null = null;
    let aborted: RunAbortedError | null = null;
    try {
      interrupt.signal.throwIfAborted();
      report = await insertRowsInParallel(db, rowsOf(values, rows), {
        ...options,
        table: (values.table as string | undefined) ?? "messages",
        writers,
        onProgress: progress?.show,
        signal: interrupt.signal,
        // The CLI's own listener stops the run and reports what it did.
        handleSignals: false,
      });
    } catch (error) {
      if (error instanceof DeadlineError) {
        deadline = error;
        report = error.report;
      } else if (error instanceof RunAbortedError) {
        aborted = error;
        report = error.report;
      } else if (interrupt.signal.aborted) {
        console.error(
          paint(31, "dbhammer: interrupted before the run started", true),
        );
        return interrupt.code;
      } else throw asUsage(error, db, values);
    }
    progress?.[Symbol.dispose]();
    const lost = acknowledgement(db, report).lost.length;
    const table = workloadTable(report.settings.workload);
    const rowsInTable = rowCount(db, table);
    const breaches: string[] = [];
    if (deadline !== null) breaches.push(deadline.message);
    if (maxLockErrors !== undefined && report.lockErrors > maxLockErrors) {
      breaches.push(
        `lock errors: ${report.lockErrors} > --max-lock-errors ${maxLockErrors}`,
      );
    }
    if (maxLost !== undefined && lost > maxLost) {
      breaches.push(`lost rows: ${lost} > --max-lost ${maxLost}`);
    }
    if (minCommits !== undefined && report.commitsPerSec < minCommits) {
      breaches.push(
        `commits/s: ${report.commitsPerSec} < --min-commits-per-sec ${minCommits}`,
      );
    }
    if (values.json) {
      // The report, and what --max-lost decides on.
      console.log(
        JSON.stringify({ ...report, rowsInTable, acknowledgedLost: lost }),
      );
    } else {
      console.log(formatReport(report));
      console.log(
        `rows in ${table}: ${rowsInTable}; acknowledged rows lost: ${lost}`,
      );
    }
    if (html !== undefined) {
      await Deno.writeTextFile(html, htmlReport(report));
      if (!values.json) console.log(`HTML report: ${html}`);
    }
    if (aborted !== null) {
      console.error(paint(31, `dbhammer: ${aborted.message}`, true));
      return interrupt.code;
    }
    for (const breach of breaches) {
      console.error(paint(31, `threshold breached: ${breach}`, true));
    }
    return breaches.length > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}
