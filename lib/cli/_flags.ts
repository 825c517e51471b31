// Private: the CLI's commands and flags, and their help.
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };

/** A flag: its name, value type, default shown in help, and meaning. */
export interface Flag {
  name: string;
  type: "string" | "boolean";
  value?: string;
  default?: string;
  help: string;
}

export const PLAN_FLAGS: Flag[] = [
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

export const RUN_FLAGS: Flag[] = [
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

export const PROBE_FLAGS: Flag[] = [
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

export const INIT_FLAGS: Flag[] = [
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

export const CLEAN_FLAGS: Flag[] = [
  {
    name: "dry-run",
    type: "boolean",
    default: "off",
    help: "list what would be removed, remove nothing",
  },
];

export const COMMANDS: Record<
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

/** The CLI's entry point, `cli.ts` at the package's root. */
const CLI_URL = new URL("../../cli.ts", import.meta.url).href;

/** This package's name on JSR, when this CLI was loaded from there. */
export function jsrPackage(): string | null {
  const jsr = /^https:\/\/jsr\.io\/(@[^/]+\/[^/]+)\/[^/]+\/cli\.ts$/.exec(
    CLI_URL,
  );
  return jsr === null ? null : jsr[1];
}

/** How to install this very CLI as a `dbhammer` command. */
export function installLine(): string {
  const url = CLI_URL;
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
export function selfSpecifier(): string {
  const jsr = jsrPackage();
  if (jsr !== null) return `jsr:${jsr}@^${denoJson.version}`;
  return new URL("../../mod.ts", import.meta.url).href;
}

export const EXIT_CODES =
  "Exit codes: 0 thresholds met; 1 a threshold breached or the run passed its deadline; 2 bad usage or input; 3 the harness failed; 130 (143) interrupted by Ctrl-C (SIGTERM), its temp database removed.";

export function flagLines(flags: Flag[]): string[] {
  return flags.map((flag) => {
    const left = `  --${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    return `${left.padEnd(28)} ${flag.help}${
      flag.default === undefined ? "" : ` (default: ${flag.default})`
    }`;
  });
}

/** The help of one command, or of all of them. */
export function help(command?: string): string {
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
