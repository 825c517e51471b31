/**
 * The `dbhammer` command: scaffold concurrency tests into a project, hammer a
 * database from the terminal, probe for the writer count where failures
 * start.
 *
 * ```sh
 * deno run -A jsr:@dbhammer/dbhammer/cli run --writers 50 --busy-timeout 5000
 * deno run -A jsr:@dbhammer/dbhammer/cli probe --to 512
 * deno run -A jsr:@dbhammer/dbhammer/cli init
 * ```
 *
 * Exit codes: 0 every threshold met; 1 a threshold breached (or the run
 * passed its deadline); 2 bad usage or bad input; 3 the harness itself
 * failed; 130 (143) interrupted by SIGINT (SIGTERM), its temp database
 * removed.
 *
 * @example Run the command from code
 * ```ts
 * import { main } from "@dbhammer/dbhammer/cli";
 *
 * const code = await main(["--version"]);
 * console.log(code); // 0
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { removeDirs, staleTempDirs, systemTempDir } from "./lib/_temp_dirs.ts";
import { acknowledgement } from "./lib/_acknowledged.ts";
import { undoActiveRuns } from "./lib/run/_active_runs.ts";
import { DEFAULT_DRIVER } from "./lib/sqlite/_load.ts";
import { schemaTemplate, testTemplate } from "./lib/_scaffold.ts";
import { DatabaseError, DeadlineError, RunAbortedError } from "./lib/errors.ts";
import { type FixtureDb, fixtureDb } from "./lib/fixture.ts";
import { generateRows } from "./lib/generate_rows.ts";
import { htmlReport } from "./lib/report/html.ts";
import { insertRowsInParallel } from "./lib/insert_rows_in_parallel.ts";
import {
  MAX_WRITERS,
  type RunOptions,
  type RunProgress,
  workloadTable,
} from "./lib/plan.ts";
import {
  integer,
  type InvalidOption,
  isInvalidOption,
} from "./lib/_validate.ts";
import { probe, type ProbeLevel } from "./lib/probe.ts";
import { formatReport } from "./lib/report/format.ts";
import type { Report } from "./lib/report/report.ts";
import {
  busyTimeout,
  compose,
  fileLock,
  none,
  queue,
  retry,
  type Strategy,
} from "./lib/strategies.ts";
import { createTable, type Row, rowCount } from "./lib/table.ts";
import denoJson from "./deno.json" with { type: "json" };

/** Bad usage or bad input: exit code 2. */
class UsageError extends Error {}

/** A flag: its name, value type, default shown in help, and meaning. */
interface Flag {
  name: string;
  type: "string" | "boolean";
  value?: string;
  default?: string;
  help: string;
}

const PLAN_FLAGS: Flag[] = [
  {
    name: "db",
    type: "string",
    value: "FILE",
    default: "a temp database",
    help:
      "an existing database file to hammer (its table really gets the rows)",
  },
  {
    name: "schema",
    type: "string",
    value: "FILE",
    default: "messages(msg TEXT)",
    help: "SQL run on a fresh temp database first",
  },
  {
    name: "table",
    type: "string",
    value: "NAME",
    default: "messages",
    help: "table the rows go into",
  },
  {
    name: "column",
    type: "string",
    value: "NAME",
    default: "msg",
    help: "column that gets each row's unique value",
  },
  {
    name: "threads",
    type: "string",
    value: "N",
    default: "min(writers, 2 × cores, at least 4)",
    help: "Workers (or processes) hosting the writers",
  },
  {
    name: "journal",
    type: "string",
    value: "MODE",
    default: "delete (a temp database), else the file's",
    help: "delete | truncate | persist | memory | wal | off",
  },
  {
    name: "synchronous",
    type: "string",
    value: "MODE",
    default: "full",
    help: "off | normal | full | extra",
  },
  {
    name: "busy-timeout",
    type: "string",
    value: "MS",
    default: "0 (5000 with --strategy busy-timeout)",
    help: "PRAGMA busy_timeout of every writer",
  },
  {
    name: "strategy",
    type: "string",
    value: "S",
    default: "busy-timeout if --busy-timeout > 0, else none",
    help:
      "none | busy-timeout | retry | file-lock | queue, or several joined by +",
  },
  {
    name: "transaction",
    type: "string",
    value: "MODE",
    default: "deferred",
    help: "deferred | immediate | exclusive",
  },
  {
    name: "hold",
    type: "string",
    value: "MS",
    default: "0",
    help: "time each transaction holds the lock before COMMIT",
  },
  {
    name: "payload",
    type: "string",
    value: "BYTES",
    default: "0",
    help: "size of each row's value (0: a UUID)",
  },
  {
    name: "rows-per-tx",
    type: "string",
    value: "N",
    default: "1",
    help: "rows per transaction",
  },
  {
    name: "mode",
    type: "string",
    value: "MODE",
    default: "worker",
    help: "worker | process",
  },
  {
    name: "driver",
    type: "string",
    value: "SPEC",
    default: "node:sqlite",
    help: "node:sqlite, libsql, or a driver module (path or URL)",
  },
  {
    name: "deadline",
    type: "string",
    value: "MS",
    default: "180000",
    help: "end a stuck run after this long",
  },
  {
    name: "json",
    type: "boolean",
    default: "off",
    help: "print the result as JSON instead of text",
  },
];

const RUN_FLAGS: Flag[] = [
  {
    name: "rows",
    type: "string",
    value: "N",
    default: "100",
    help: "rows to insert",
  },
  {
    name: "writers",
    type: "string",
    value: "N",
    default: "one per transaction (rows ÷ --rows-per-tx), at most 100",
    help: "contending connections",
  },
  ...PLAN_FLAGS,
  {
    name: "html",
    type: "string",
    value: "FILE",
    default: "none",
    help: "also write the HTML report (timeline, latency, failures)",
  },
  {
    name: "max-lock-errors",
    type: "string",
    value: "N",
    default: "no limit",
    help: "exit 1 if more lock errors than N",
  },
  {
    name: "max-lost",
    type: "string",
    value: "N",
    default: "no limit",
    help: "exit 1 if more than N acknowledged rows are missing",
  },
  {
    name: "min-commits-per-sec",
    type: "string",
    value: "N",
    default: "no limit",
    help: "exit 1 if fewer commits per second",
  },
];

const PROBE_FLAGS: Flag[] = [
  {
    name: "from",
    type: "string",
    value: "N",
    default: "1",
    help: "writers of the first level (levels double)",
  },
  {
    name: "to",
    type: "string",
    value: "N",
    default: "512",
    help: "writers of the last level",
  },
  {
    name: "levels",
    type: "string",
    value: "LIST",
    default: "from --from to --to",
    help: "explicit writer counts, e.g. 1,10,100",
  },
  {
    name: "stop",
    type: "boolean",
    default: "off",
    help: "stop at the first level with lock errors or lost writes",
  },
  ...PLAN_FLAGS,
];

const INIT_FLAGS: Flag[] = [
  {
    name: "name",
    type: "string",
    value: "NAME",
    default: "messages",
    help: "fixtures/NAME.sql and tests/NAME_concurrency_test.ts",
  },
  {
    name: "force",
    type: "boolean",
    default: "off",
    help: "overwrite files that exist",
  },
  {
    name: "import",
    type: "string",
    value: "SPEC",
    default:
      "the dbhammer running init: its jsr: specifier, HTTP URL or file URL",
    help: "where the scaffolded test imports dbhammer from",
  },
];

const CLEAN_FLAGS: Flag[] = [
  {
    name: "dry-run",
    type: "boolean",
    default: "off",
    help: "list what would be removed, remove nothing",
  },
];

const COMMANDS: Record<
  string,
  { usage: string; summary: string; flags: Flag[] }
> = {
  run: {
    usage: "run [flags]",
    summary: "hammer a database with parallel one-row writers",
    flags: RUN_FLAGS,
  },
  probe: {
    usage: "probe [flags]",
    summary: "ramp writers and find where lock errors or lost writes start",
    flags: PROBE_FLAGS,
  },
  init: {
    usage: "init [dir]",
    summary:
      "scaffold a fixture and a concurrency test into [dir] (made if missing)",
    flags: INIT_FLAGS,
  },
  clean: {
    usage: "clean",
    summary:
      "remove temp dirs left behind by dbhammer processes that were killed",
    flags: CLEAN_FLAGS,
  },
};

/** This package's name on JSR, when this CLI was loaded from there. */
function jsrPackage(): string | null {
  const jsr = /^https:\/\/jsr\.io\/(@[^/]+\/[^/]+)\/[^/]+\/cli\.ts$/.exec(
    import.meta.url,
  );
  return jsr === null ? null : jsr[1];
}

/** How to install this very CLI as a `dbhammer` command. */
function installLine(): string {
  const url = import.meta.url;
  const jsr = jsrPackage();
  const spec = jsr !== null
    ? `jsr:${jsr}/cli`
    : url.startsWith("file:")
    ? fileURLToPath(url)
    : url;
  return `deno install -g -A -n dbhammer ${spec}`;
}

/**
 * Where a scaffolded test imports dbhammer from: the dbhammer running this
 * CLI (its jsr: specifier, or mod.ts beside this file by HTTP or file URL),
 * so the test runs as it is, before and after publication.
 */
function selfSpecifier(): string {
  const jsr = jsrPackage();
  if (jsr !== null) return `jsr:${jsr}@^${denoJson.version}`;
  return new URL("./mod.ts", import.meta.url).href;
}

const EXIT_CODES =
  "Exit codes: 0 thresholds met; 1 a threshold breached or the run passed its deadline; 2 bad usage or input; 3 the harness failed; 130 (143) interrupted by Ctrl-C (SIGTERM), its temp database removed.";

function flagLines(flags: Flag[]): string[] {
  return flags.map((flag) => {
    const left = `  --${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    return `${left.padEnd(28)} ${flag.help}${
      flag.default === undefined ? "" : ` (default: ${flag.default})`
    }`;
  });
}

/** The help of one command, or of all of them. */
function help(command?: string): string {
  if (command !== undefined) {
    const { usage, summary, flags } = COMMANDS[command];
    return [
      `Usage: dbhammer ${usage}`,
      "",
      `${summary[0].toUpperCase()}${summary.slice(1)}.`,
      "",
      "Flags:",
      ...flagLines(flags),
      "",
      EXIT_CODES,
    ].join("\n");
  }
  const lines = [
    `dbhammer ${denoJson.version}: what happens when several writers hit your SQLite database at once`,
    "",
    "Usage:",
    ...Object.values(COMMANDS).map(({ usage, summary }) =>
      `  dbhammer ${usage.padEnd(15)} ${summary}`
    ),
    "  dbhammer --help | --version",
    "",
    `Install the dbhammer command: ${installLine()}`,
    "Each command's own flags: dbhammer <command> --help",
  ];
  for (const [name, { flags }] of Object.entries(COMMANDS)) {
    lines.push("", `Flags of ${name}:`, ...flagLines(flags));
  }
  lines.push("", EXIT_CODES);
  return lines.join("\n");
}

function parse(
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
function joinNegativeValues(
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
function shown(raw: unknown): string {
  return /^-?\d+(\.\d+)?$/.test(String(raw))
    ? String(raw)
    : JSON.stringify(raw);
}

function int(
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

function num(
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

function strategyOf(
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

/**
 * Most rows `run` generates: each is an object in memory, with its outcome
 * and fingerprint (the library takes more from code that builds its rows).
 */
const MAX_CLI_ROWS = 10_000_000;

/** What {@linkcode onInterrupt} gives a command. */
interface Interrupt extends Disposable {
  /** Aborts at the first SIGINT (Ctrl-C) or SIGTERM: pass it to the run. */
  signal: AbortSignal;
  /** The exit code for the signal that came (128 + its number), or 0. */
  code: number;
  /** Removes what the command made; set once there is something. */
  cleanup: () => void;
}

/**
 * Until disposed, the first SIGINT (Ctrl-C) or SIGTERM aborts `signal`: the
 * run stops as at a deadline, its hosts ended and its files removed, and the
 * command reports what it recorded. A second one exits at once, after
 * `cleanup`.
 */
function onInterrupt(): Interrupt {
  const signals: [Deno.Signal, number][] = Deno.build.os === "windows"
    ? [["SIGINT", 2]]
    : [["SIGINT", 2], ["SIGTERM", 15]];
  const controller = new AbortController();
  const listeners: [Deno.Signal, () => void][] = [];
  const interrupt: Interrupt = {
    signal: controller.signal,
    code: 0,
    cleanup: () => {},
    [Symbol.dispose]: () => {
      for (const [signal, listener] of listeners) {
        Deno.removeSignalListener(signal, listener);
      }
    },
  };
  for (const [signal, number] of signals) {
    const listener = (): void => {
      if (!controller.signal.aborted) {
        interrupt.code = 128 + number;
        console.error(
          // From the start of the line: a progress line may be on it.
          `${Deno.stderr.isTerminal() ? "\r\x1b[2K" : ""}${
            paint(33, `dbhammer: ${signal}: stopping the run…`, true)
          }`,
        );
        controller.abort(new Error(`interrupted by ${signal}`));
        return;
      }
      try {
        // Exiting now: the run's hosts and files too, not only the database.
        undoActiveRuns();
        interrupt.cleanup();
      } finally {
        Deno.exit(interrupt.code);
      }
    };
    Deno.addSignalListener(signal, listener);
    listeners.push([signal, listener]);
  }
  return interrupt;
}

/** The database a command hammers, and how to clean it up. */
async function target(
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
function driverOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === "node:sqlite" || value === "node-sqlite") return DEFAULT_DRIVER;
  if (value === "libsql") {
    return new URL("./lib/drivers/libsql.ts", import.meta.url).href;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !/^[a-z]:[\\/]/i.test(value)) {
    return value; // a URL or specifier: file:, https:, jsr:, npm:
  }
  return pathToFileURL(resolve(value)).href;
}

function runOptions(values: Record<string, unknown>): RunOptions {
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

function rowsOf(values: Record<string, unknown>, count: number): Row[] {
  const payload = int(values, "payload") ?? 0;
  return generateRows(count, {
    column: (values.column as string | undefined) ?? "msg",
    payloadBytes: payload > 0 ? payload : undefined,
  });
}

const colorOn = (stream: { isTerminal(): boolean }): boolean =>
  stream.isTerminal() && Deno.env.get("NO_COLOR") === undefined;
/** Colors text for stdout (`err` false) or stderr, only on a terminal. */
const paint = (code: number, text: string, err = false): string =>
  colorOn(err ? Deno.stderr : Deno.stdout)
    ? `\x1b[${code}m${text}\x1b[0m`
    : text;

/** A progress line on stderr, redrawn in place; disposing clears it. */
function progressLine(): Disposable & { show(p: RunProgress): void } {
  const encoder = new TextEncoder();
  let shown = false;
  return {
    show(p: RunProgress): void {
      const seconds = p.elapsedMs / 1000;
      const rate = seconds > 0 ? p.committed / seconds : 0;
      Deno.stderr.writeSync(encoder.encode(
        `\r\x1b[2K${
          seconds.toFixed(1)
        } s  commits ${p.committed}/${p.intended} (${
          rate.toFixed(0)
        }/s)  lock errors ${p.lockErrors}`,
      ));
      shown = true;
    },
    [Symbol.dispose](): void {
      if (shown) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
      shown = false;
    },
  };
}

async function runCommand(args: string[]): Promise<number> {
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

/** The library's option names, as the flags that set them. */
const FLAG_OF: Record<string, string> = {
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
function flagMessage(
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
function asUsage(
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

function levelLine(level: ProbeLevel): string {
  return `${String(level.writers).padStart(7)} ${
    String(level.threads).padStart(7)
  } ${`${level.ok}/${level.intended}`.padStart(11)} ${
    String(level.lockErrors).padStart(11)
  } ${String(level.lost ?? "-").padStart(5)} ${
    level.commitsPerSec.toFixed(0).padStart(9)
  } ${(level.p99Ms === null ? "-" : level.p99Ms.toFixed(1)).padStart(8)}`;
}

async function probeCommand(args: string[]): Promise<number> {
  const { values } = parse("probe", args);
  if (values.help) {
    console.log(help("probe"));
    return 0;
  }
  let levels: number[] | undefined;
  if (values.levels !== undefined) {
    const list = String(values.levels).split(",");
    levels = list.map((item) => {
      const n = Number(item);
      if (!/^\d+$/.test(item.trim()) || n < 1) {
        throw new UsageError(
          `Invalid --levels: ${
            JSON.stringify(values.levels)
          } (expected writer counts like 1,10,100)`,
        );
      }
      return n;
    });
  }
  const from = int(values, "from", 1);
  const to = int(values, "to", 1);
  if (levels !== undefined && (from !== undefined || to !== undefined)) {
    throw new UsageError("Give --levels or --from/--to, not both");
  }
  const options = runOptions(values);
  // Installed before the temp database exists, so none is left behind.
  using interrupt = onInterrupt();
  const { db, cleanup } = await target(values);
  interrupt.cleanup = cleanup;
  const json = values.json === true;
  // Progress goes to stderr, only on a terminal: never into --json output.
  const progress = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const done: ProbeLevel[] = [];
  let header = false;
  const clearProgress = (): void => {
    if (progress) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
  };
  try {
    const result = await probe(
      {
        ...options,
        db,
        signal: interrupt.signal,
        // The CLI's own listener stops the run and reports what it did.
        handleSignals: false,
        workload: {
          kind: "insert",
          table: (values.table as string | undefined) ?? "messages",
          rows: (writers) => rowsOf(values, writers),
        },
      },
      {
        ...(levels !== undefined ? { levels } : { from, to }),
        stopAtFirstFailure: values.stop === true,
        onLevelStart: (writers) => {
          if (progress) {
            Deno.stderr.writeSync(
              encoder.encode(
                `\r… running ${writers} writer${writers === 1 ? "" : "s"}`,
              ),
            );
          }
        },
        onLevel: (level) => {
          clearProgress();
          done.push(level);
          // Printed with the first result, not before: a level whose input
          // is rejected prints only the error.
          if (!json && !header) {
            header = true;
            console.log(
              "writers threads  ok/intended lock errors  lost commits/s  p99 ms",
            );
          }
          if (!json) console.log(levelLine(level));
        },
      },
    ).catch((error) => {
      clearProgress();
      throw asUsage(error, db, values);
    });
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(
        paint(result.firstFailure === null ? 32 : 33, `${result.answer}.`),
      );
    }
    return 0;
  } catch (error) {
    if (interrupt.signal.aborted) {
      // The levels so far were printed as they ended.
      if (json) {
        console.log(JSON.stringify({ levels: done, interrupted: true }));
      }
      return interrupt.code;
    }
    if (!(error instanceof DeadlineError)) throw error;
    // A level that passes its deadline is a finding, not a harness failure.
    if (json) {
      console.log(JSON.stringify({ levels: done, deadline: error.message }));
    }
    console.error(paint(31, `deadline: ${error.message}`, true));
    return 1;
  } finally {
    cleanup();
  }
}

async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("init", args);
  if (values.help) {
    console.log(help("init"));
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `init takes one directory, got ${positionals.length}: ${
        positionals.join(" ")
      }`,
    );
  }
  const dir = resolve(positionals[0] ?? ".");
  if (!existsSync(dir)) {
    // As `deno init` does: a new project's folder is made, but not inside
    // a file.
    let parent = dirname(dir);
    while (!existsSync(parent)) parent = dirname(parent);
    if (!Deno.statSync(parent).isDirectory) {
      throw new UsageError(
        `Invalid directory: ${dir} (${parent} is not a directory)`,
      );
    }
    Deno.mkdirSync(dir, { recursive: true });
    console.log(`created ${dir}`);
  }
  if (!Deno.statSync(dir).isDirectory) {
    throw new UsageError(`Invalid directory: ${dir} is not a directory`);
  }
  const name = (values.name as string | undefined) ?? "messages";
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new UsageError(
      `Invalid --name: ${JSON.stringify(name)} (letters, digits, _ and - only)`,
    );
  }
  let importSpecifier = (values.import as string | undefined) ??
    selfSpecifier();
  if (/^\.\.?[\\/]/.test(importSpecifier)) {
    // A relative path means from here; the test imports it from tests/.
    const path = relative(join(dir, "tests"), resolve(importSpecifier))
      .replaceAll("\\", "/");
    importSpecifier = path.startsWith(".") ? path : `./${path}`;
  }
  const files: [string, string][] = [
    [join(dir, "fixtures", `${name}.sql`), schemaTemplate()],
    [
      join(dir, "tests", `${name}_concurrency_test.ts`),
      testTemplate(name, importSpecifier),
    ],
  ];
  const force = values.force === true;
  // Read the project's deno.json before writing anything, so a config we
  // cannot edit leaves no half-done scaffold behind.
  const config = join(dir, "deno.json");
  const task = `test:${name}`;
  let configJson: { tasks?: Record<string, string> } | null = null;
  let configProblem: string | null = null;
  if (existsSync(config)) {
    try {
      const parsed = JSON.parse(await Deno.readTextFile(config));
      if (typeof parsed === "object" && parsed !== null) configJson = parsed;
      else configProblem = "is not a JSON object";
    } catch {
      configProblem = "is not plain JSON (comments?)";
    }
  }
  const existing = files.filter(([path]) => existsSync(path)).map(([p]) => p);
  if (existing.length > 0 && !force) {
    throw new UsageError(
      `Not overwriting ${existing.join(", ")} (use --force to overwrite)`,
    );
  }
  for (const [path, text] of files) {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text);
    console.log(`wrote ${path}`);
  }
  const taskLine = `deno test -A tests/${name}_concurrency_test.ts`;
  const byHand = (file: string, why: string): void =>
    console.log(
      `${file} ${why}: add the task by hand: "${task}": "${taskLine}"`,
    );
  if (configJson !== null) {
    configJson.tasks ??= {};
    if (configJson.tasks[task] !== undefined && !force) {
      console.log(
        `kept task ${task} in ${config} (exists; --force replaces it)`,
      );
    } else {
      configJson.tasks[task] = taskLine;
      await Deno.writeTextFile(
        config,
        JSON.stringify(configJson, null, 2) + "\n",
      );
      console.log(`added task ${task} to ${config}`);
    }
  } else if (configProblem !== null) byHand(config, configProblem);
  else if (existsSync(join(dir, "deno.jsonc"))) {
    byHand(join(dir, "deno.jsonc"), "found");
  }
  // From where the user is, which may not be `dir`.
  const testPath = relative(Deno.cwd(), files[1][0]).replaceAll("\\", "/");
  console.log(`next: deno test -A ${testPath}`);
  return 0;
}

function cleanCommand(args: string[]): number {
  const { values } = parse("clean", args);
  if (values.help) {
    console.log(help("clean"));
    return 0;
  }
  const dir = systemTempDir();
  const stale = staleTempDirs(dir);
  const done = values["dry-run"] ? stale : removeDirs(stale);
  const verb = values["dry-run"] ? "would remove" : "removed";
  for (const { path, pid } of done) {
    console.log(`${verb} ${path} (its process ${pid} is gone)`);
  }
  console.log(
    `${verb} ${done.length} stale temp dir${
      done.length === 1 ? "" : "s"
    } of dbhammer in ${dir}`,
  );
  return 0;
}

/**
 * Runs the command with `args` (without the program name) and returns its
 * exit code; errors are printed, never thrown.
 *
 * @example Print the version
 * ```ts
 * import { main } from "@dbhammer/dbhammer/cli";
 *
 * const code = await main(["--version"]); // prints 0.1.0
 * console.log(code); // 0
 * ```
 *
 * @param args The command line, e.g. `["run", "--writers", "8"]`.
 * @returns 0, 1, 2 or 3 (see the module doc).
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "--version" || command === "-V") {
      console.log(denoJson.version);
      return 0;
    }
    if (command === undefined || command === "--help" || command === "-h") {
      console.log(help());
      return command === undefined ? 2 : 0;
    }
    switch (command) {
      case "run":
        return await runCommand(rest);
      case "probe":
        return await probeCommand(rest);
      case "init":
        return await initCommand(rest);
      case "clean":
        return cleanCommand(rest);
      default:
        throw new UsageError(
          `Unknown command: ${command} (expected run, probe, init or clean; see dbhammer --help)`,
        );
    }
  } catch (error) {
    // A database that cannot be used is the user's input too.
    if (error instanceof UsageError || error instanceof DatabaseError) {
      console.error(paint(31, `dbhammer: ${error.message}`, true));
      return 2;
    }
    console.error(
      paint(
        31,
        `dbhammer: the harness failed: ${
          error instanceof Error ? error.stack ?? error.message : String(error)
        }`,
        true,
      ),
    );
    return 3;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
