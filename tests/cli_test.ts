// The dbhammer command, run for real as a subprocess: every subcommand's
// happy path, every exit code, init's scaffold (and that its test passes),
// bad flags and bad files.
import assert from "node:assert/strict";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createTable,
  fixtureDb,
  generateRows,
  insertRowsInParallel,
  type ProbeResult,
  type Report,
} from "../mod.ts";
import denoJson from "../deno.json" with { type: "json" };
import {
  canMakeImmutable,
  chattr,
  corruptDatabase,
  type DenoOutput,
  holdLock,
  runDeno,
  tempDir,
} from "./_helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).href;

type Result = DenoOutput;

function cli(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<Result> {
  return runDeno(["run", "-A", CLI, ...args], cwd, env);
}

Deno.test("cli: --version and --help (every flag with its default)", async () => {
  const version = await cli(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), denoJson.version);
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--db FILE",
      "--schema FILE",
      "--writers N",
      "--threads N",
      "--rows N",
      "--table NAME",
      "--journal MODE",
      "--synchronous MODE",
      "--busy-timeout MS",
      "--strategy S",
      "--transaction MODE",
      "--hold MS",
      "--payload BYTES",
      "--mode MODE",
      "--json",
      "--html FILE",
      "--max-lock-errors N",
      "--max-lost N",
      "--min-commits-per-sec N",
      "--from N",
      "--to N",
      "--levels LIST",
      "--force",
      "--name NAME",
    ]
  ) assert.ok(help.stdout.includes(flag), `help lists ${flag}`);
  assert.match(
    help.stdout,
    /--writers N .*\(default: one per transaction \(rows ÷ --rows-per-tx\), at most 100\)/,
  );
  assert.match(help.stdout, /--to N .*\(default: 512\)/);
  const runHelp = await cli(["run", "--help"]);
  assert.equal(runHelp.code, 0);
  assert.ok(!runHelp.stdout.includes("--levels"), "run's help is run's own");
});

Deno.test("cli run: the text summary, exit 0", async () => {
  const result = await cli([
    "run",
    "--writers",
    "4",
    "--rows",
    "8",
    "--busy-timeout",
    "5000",
    "--max-lost",
    "0",
    "--max-lock-errors",
    "0",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /done\/intended: +8\/8 operations/);
  assert.match(result.stdout, /writers \/ threads: +4 \/ 4 Workers/);
  assert.match(result.stdout, /rows in messages: 8; acknowledged rows lost: 0/);
});

Deno.test("cli run --json: the library's report for the same plan, and the rows check", async () => {
  const result = await cli([
    "run",
    "--json",
    "--writers",
    "4",
    "--rows",
    "12",
    "--busy-timeout",
    "5000",
    "--journal",
    "wal",
    "--transaction",
    "immediate",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const fromCli = JSON.parse(result.stdout) as Report & {
    rowsInTable: number;
    acknowledgedLost: number;
  };
  // What the text summary adds to the report: the check against the table.
  assert.equal(fromCli.rowsInTable, 12);
  assert.equal(fromCli.acknowledgedLost, 0);
  await using db = await fixtureDb({ journalMode: "wal" });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const fromLibrary = await insertRowsInParallel(db, generateRows(12), {
    table: "messages",
    writers: 4,
    busyTimeoutMs: 5000,
    transaction: "immediate",
  });
  assert.deepEqual(
    Object.keys(fromCli).sort(),
    [...Object.keys(fromLibrary), "rowsInTable", "acknowledgedLost"].sort(),
  );
  assert.deepEqual(
    { ...fromCli.settings, path: "" },
    { ...fromLibrary.settings, path: "" },
  );
  for (const key of ["intended", "ok", "lockErrors", "rowsWritten"] as const) {
    assert.equal(fromCli[key], fromLibrary[key], key);
  }
  assert.equal(fromCli.outcomes.length, 12);
});

Deno.test("cli run: thresholds decide the exit code; --html writes the report", async () => {
  await using dir = await tempDir();
  const html = join(dir.path, "report.html");
  const clash = await cli([
    "run",
    "--json",
    "--writers",
    "3",
    "--rows",
    "6",
    "--hold",
    "200",
    "--max-lock-errors",
    "0",
    "--html",
    html,
  ]);
  assert.equal(clash.code, 1);
  assert.match(
    clash.stderr,
    /threshold breached: lock errors: \d+ > --max-lock-errors 0/,
  );
  const report = JSON.parse(clash.stdout) as Report;
  assert.ok(report.lockErrors >= 1);
  const page = await Deno.readTextFile(html);
  assert.ok(page.startsWith("<!doctype html>"));
  for (let w = 0; w < 3; w++) {
    assert.ok(page.includes(`class="lane" data-writer="${w}"`), `lane ${w}`);
  }
  assert.equal(page.match(/class="lane"/g)?.length, 3);
  assert.equal(page.match(/<g class="op"/g)?.length, 6);
  assert.equal(
    page.match(/<tr class="failure"/g)?.length,
    report.intended - report.ok,
  );
  assert.ok(!/<script|<link|src=|@import|url\(/i.test(page), "self-contained");
  assert.ok(
    page.includes('id="latency"') && page.includes('class="histogram"'),
  );

  const slow = await cli([
    "run",
    "--rows",
    "2",
    "--busy-timeout",
    "5000",
    "--min-commits-per-sec",
    "1000000000",
  ]);
  assert.equal(slow.code, 1);
  assert.match(
    slow.stderr,
    /commits\/s: .* < --min-commits-per-sec 1000000000/,
  );
});

Deno.test("cli run: a schema file and an existing database", async () => {
  await using dir = await tempDir();
  const schema = join(dir.path, "schema.sql");
  await Deno.writeTextFile(
    schema,
    "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
  );
  const fromSchema = await cli([
    "run",
    "--schema",
    schema,
    "--table",
    "events",
    "--column",
    "body",
    "--rows",
    "5",
    "--busy-timeout",
    "5000",
    "--payload",
    "2000",
  ]);
  assert.equal(fromSchema.code, 0, fromSchema.stderr);
  assert.match(fromSchema.stdout, /rows in events: 5/);
  await using db = await fixtureDb({ dir: dir.path, name: "app.db" });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const existing = await cli([
    "run",
    "--db",
    db.path,
    "--rows",
    "3",
    "--strategy",
    "file-lock+retry",
  ]);
  assert.equal(existing.code, 0, existing.stderr);
  assert.match(existing.stdout, /strategy: +fileLock\+retry/);
  assert.match(existing.stdout, /rows in messages: 3/);
});

Deno.test("cli: bad usage and bad input exit 2 naming the flag or file", async () => {
  await using dir = await tempDir();
  const badSql = join(dir.path, "bad.sql");
  await Deno.writeTextFile(badSql, "CREATE TABLE messages(");
  const otherSql = join(dir.path, "other.sql");
  await Deno.writeTextFile(
    otherSql,
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, body TEXT);",
  );
  const corrupt = await corruptDatabase(dir.path);
  const twoColumns = join(dir.path, "two.db");
  {
    await using db = await fixtureDb({
      sql: "CREATE TABLE t (a TEXT, b TEXT NOT NULL)",
    });
    await Deno.copyFile(db.path, twoColumns);
  }
  const cases: [string[], RegExp][] = [
    [[], /Usage:/],
    [
      ["run", "--db", corrupt, "--rows", "2"],
      /Invalid --db: Cannot use database .*corrupt\.db: database disk image is malformed/,
    ],
    [
      ["run", "--journal", "off", "--rows", "2"],
      /Invalid --journal: "off" \(the node:sqlite driver refuses it/,
    ],
    [["hammer"], /Unknown command: hammer/],
    [["run", "--bogus", "1"], /Unknown option '--bogus'/],
    [["run", "--writers", "abc"], /Invalid --writers: "abc"/],
    [["run", "--writers", "0"], /Invalid --writers: 0 \(expected/],
    [
      ["run", "--writers", "-1"],
      /^dbhammer: Invalid --writers: -1 \(expected an integer ≥ 1\)$/m,
    ],
    [
      ["run", "--busy-timeout", "-5"],
      /^dbhammer: Invalid --busy-timeout: -5 \(expected an integer ≥ 0\)$/m,
    ],
    [
      ["run", "--db", twoColumns, "--table", "t", "--column", "a"],
      /Invalid --table: t needs a value for column "b" \(NOT NULL without a default\), and the CLI writes only --column a: give "b" a default in the schema, or write it with --column b/,
    ],
    [["run", "--strategy", "magic"], /Invalid --strategy: "magic"/],
    [["run", "--journal", "sideways"], /Invalid --journal: "sideways"/],
    [
      ["run", "--db", join(dir.path, "missing.db")],
      /Invalid --db: .*missing\.db does not exist/,
    ],
    [
      ["run", "--schema", join(dir.path, "missing.sql")],
      /Invalid --schema: .*missing\.sql does not exist/,
    ],
    [
      ["run", "--rows", "2", "--table", "nope", "--db", CLI],
      /Invalid --db: Cannot open database .*cli\.ts: file is not a database/,
    ],
    [
      ["run", "--schema", badSql],
      /Invalid --schema: Cannot run schemaFile .*bad\.sql: incomplete input/,
    ],
    [
      ["run", "--schema", otherSql, "--rows", "2"],
      /Invalid --column: "msg" is not a column of messages \(its columns: id, body\)/,
    ],
    [
      ["run", "--schema", otherSql, "--table", "other", "--rows", "2"],
      /Invalid --table: "other" does not exist in the database built from --schema .*other\.sql/,
    ],
    [["run", "--table", ""], /Invalid --table: "" \(expected a name\)/],
    [["run", "--html", ""], /Invalid --html: ""/],
    [
      ["run", "--rows", "99999999", "--writers", "99999999"],
      /Invalid --rows: 99999999 \(expected an integer from 1 to 10000000\)/,
    ],
    [["run", "--writers", "5000"], /Invalid --writers: 5000 \(expected/],
    [
      ["run", "--strategy", "none", "--busy-timeout", "100"],
      /Invalid --busy-timeout: 100 conflicts with --strategy none/,
    ],
    [
      ["run", "--strategy", "busy-timeout+busy-timeout"],
      /Invalid --strategy: "busy-timeout\+busy-timeout": .*two strategies/,
    ],
    [["run", "--payload", "10"], /Invalid --payload: 10/],
    [["run", "--html", dir.path], /Invalid --html: .* is not a file/],
    [
      ["run", "--driver", "./no_such_driver.ts"],
      /Invalid driver module file:\/\/.*no_such_driver\.ts: it cannot be loaded/,
    ],
    [
      ["probe", "--levels", "1,2", "--to", "4"],
      /Give --levels or --from\/--to, not both/,
    ],
    [["probe", "--levels", "4,x"], /Invalid --levels: "4,x"/],
    [["probe", "--payload", "10", "--to", "2"], /Invalid --payload: 10/],
    [["probe", "--from", "8", "--to", "2"], /Invalid --to: 2/],
    [
      ["init", join(badSql, "sub")],
      /Invalid directory: .*bad\.sql\/sub \(.*bad\.sql is not a directory\)/,
    ],
    [["init", badSql], /Invalid directory: .*bad\.sql is not a directory/],
  ];
  // Temp databases go here: none may be left behind.
  const tmp = join(dir.path, "tmp");
  await Deno.mkdir(tmp);
  for (const [args, message] of cases) {
    const result = await cli(args, undefined, { TMPDIR: tmp });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stdout + result.stderr, message, args.join(" "));
    assert.doesNotMatch(result.stdout, /writers threads/, "no table header");
    assert.deepEqual([...Deno.readDirSync(tmp)], [], args.join(" "));
  }
});

Deno.test("cli run: Ctrl-C stops the run and prints what it recorded; its temp files go, exit 130", async () => {
  await using dir = await tempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "run",
      "--rows",
      "4",
      "--hold",
      "60000",
      "--mode",
      "process",
    ],
    env: { NO_COLOR: "1", TMPDIR: dir.path },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A process-mode run makes its own temp dir, then its host processes:
  // once they run, the dir and the temp database must both go.
  const hostProcesses = async (): Promise<number> => {
    const out = await new Deno.Command("pgrep", {
      args: ["-P", String(child.pid)],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")
      .filter((l) => l !== "").length;
  };
  while (await hostProcesses() === 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(
    [...Deno.readDirSync(dir.path)].some((e) =>
      e.name.startsWith("dbhammer-run-")
    ),
  );
  child.kill("SIGINT");
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 130, stderr);
  assert.match(stderr, /SIGINT: stopping the run/);
  assert.match(stderr, /Run was aborted with \d writers? unfinished/);
  assert.match(stdout, /done\/intended: +\d\/4 operations/);
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("cli probe: a row per level, the answer in one sentence; --json is pure JSON", async () => {
  const text = await cli(["probe", "--levels", "1,2,4", "--hold", "200"]);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assert.equal(lines.length, 5);
  assert.match(lines[0], /writers +threads +ok\/intended +lock errors/);
  assert.match(lines[1], /^ +1 +1 +1\/1 +0 +0 /);
  assert.equal(
    lines[4],
    "first lock error at 2 writers (busy timeout 0, DELETE journal).",
  );
  assert.ok(!text.stderr.includes("running"), "no progress line off a TTY");
  const json = await cli([
    "probe",
    "--json",
    "--levels",
    "1,8",
    "--busy-timeout",
    "10000",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout) as ProbeResult;
  assert.deepEqual(result.levels.map((l) => [l.writers, l.lockErrors]), [
    [1, 0],
    [8, 0],
  ]);
  assert.equal(result.firstFailure, null);
});

Deno.test("cli init: scaffolds a passing test, refuses to overwrite, --force does", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "deno.json"), "{}\n");
  // Run from the parent, as `init <dir>`, importing the toolkit by a path
  // relative to where init runs.
  const parent = dirname(dir.path);
  let modPath = relative(parent, fileURLToPath(MOD));
  if (!modPath.startsWith(".")) modPath = `./${modPath}`;
  const first = await cli(
    ["init", basename(dir.path), "--import", modPath],
    parent,
  );
  assert.equal(first.code, 0, first.stderr);
  const next = first.stdout.match(/^next: deno test -A (.+)$/m)?.[1];
  assert.equal(
    next,
    `${basename(dir.path)}/tests/messages_concurrency_test.ts`,
  );
  const schema = join(dir.path, "fixtures", "messages.sql");
  const test = join(dir.path, "tests", "messages_concurrency_test.ts");
  assert.equal(join(parent, next!), test);
  assert.match(first.stdout, /wrote .*fixtures\/messages\.sql/);
  assert.match(first.stdout, /wrote .*tests\/messages_concurrency_test\.ts/);
  assert.match(first.stdout, /added task test:messages/);
  const config = JSON.parse(
    await Deno.readTextFile(join(dir.path, "deno.json")),
  );
  assert.equal(
    config.tasks["test:messages"],
    "deno test -A tests/messages_concurrency_test.ts",
  );

  await Deno.writeTextFile(schema, "-- mine\n");
  const again = await cli(["init", dir.path, "--import", MOD]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /Not overwriting .*messages\.sql.*--force/);
  assert.equal(await Deno.readTextFile(schema), "-- mine\n");
  const forced = await cli(["init", dir.path, "--import", MOD, "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.notEqual(await Deno.readTextFile(schema), "-- mine\n");

  // The command init printed, from where init ran.
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", next!],
    cwd: parent,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(run.stdout) +
    new TextDecoder().decode(run.stderr);
  assert.ok(run.success, out);
  assert.match(out, /ok \| 3 passed \| 0 failed/);
});

Deno.test("cli: drivers by name or by path from the current directory", async () => {
  await using dir = await tempDir();
  await Deno.copyFile(
    new URL("../fixtures/drivers/custom_node.ts", import.meta.url),
    join(dir.path, "my_driver.ts"),
  );
  // The copy imports the toolkit by relative paths: point them here.
  const text = await Deno.readTextFile(join(dir.path, "my_driver.ts"));
  await Deno.writeTextFile(
    join(dir.path, "my_driver.ts"),
    text.replace('"../../mod.ts"', JSON.stringify(MOD)).replace(
      '"../../lib/drivers/node_sqlite.ts"',
      JSON.stringify(
        new URL("../lib/drivers/node_sqlite.ts", import.meta.url).href,
      ),
    ),
  );
  for (
    const [driver, name] of [["./my_driver.ts", "custom-node"], [
      "libsql",
      "libsql",
    ]]
  ) {
    const result = await cli(
      [
        "run",
        "--json",
        "--rows",
        "4",
        "--busy-timeout",
        "5000",
        "--driver",
        driver,
      ],
      dir.path,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      (JSON.parse(result.stdout) as Report).settings.driverName,
      name,
    );
  }
});

Deno.test("cli probe: a level past its deadline exits 1 with the levels so far", async () => {
  const result = await cli([
    "probe",
    "--json",
    "--levels",
    "1,2",
    "--transaction",
    "immediate",
    "--busy-timeout",
    "0",
    "--strategy",
    "retry",
    "--hold",
    "3000",
    "--deadline",
    "1000",
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /deadline: Run passed its deadline of 1000 ms/);
  const partial = JSON.parse(result.stdout) as {
    levels: unknown[];
    deadline: string;
  };
  assert.ok(Array.isArray(partial.levels));
  assert.match(partial.deadline, /passed its deadline/);
});

Deno.test("cli init: a deno.json it cannot edit leaves the scaffold whole and says what to add", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    join(dir.path, "deno.json"),
    '{\n  // my tasks\n  "tasks": {}\n}\n',
  );
  const result = await cli(["init", dir.path, "--name", "orders"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /wrote .*fixtures\/orders\.sql/);
  assert.match(result.stdout, /wrote .*tests\/orders_concurrency_test\.ts/);
  assert.match(
    result.stdout,
    /deno\.json is not plain JSON \(comments\?\): add the task by hand: "test:orders"/,
  );
  assert.match(
    await Deno.readTextFile(
      join(dir.path, "tests", "orders_concurrency_test.ts"),
    ),
    // The dbhammer that ran init (issue 18.3), not an unpublished jsr: one.
    new RegExp(`from "${MOD.replaceAll(".", "\\.")}"`),
  );
});

Deno.test("cli run: a database another process holds is waited for; one locked beyond that exits 2", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "app.db");
  {
    await using db = await fixtureDb({ dir: dir.path });
    createTable(db, { name: "messages", columns: { msg: "TEXT" } });
    await Deno.copyFile(db.path, path);
  }
  {
    // As a sqlite3 shell in BEGIN IMMEDIATE would, for 1.5 s.
    await using _held = await holdLock(path, "immediate", 1500);
    const result = await cli([
      "run",
      "--db",
      path,
      "--rows",
      "100",
      "--busy-timeout",
      "5000",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /done\/intended: +100\/100 operations/);
  }
  {
    await using _held = await holdLock(path, "exclusive", 30_000);
    const result = await cli(["run", "--db", path, "--rows", "2"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /^dbhammer: Invalid --db: .*app\.db: database is locked \(another connection kept it locked/,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /); // no stack trace
  }
});

Deno.test({
  name: "cli run: a database that cannot be written exits 2 naming it",
  ignore: !(await canMakeImmutable()),
  async fn(): Promise<void> {
    await using dir = await tempDir();
    const path = join(dir.path, "readonly.db");
    {
      await using db = await fixtureDb({ dir: dir.path });
      createTable(db, { name: "messages", columns: { msg: "TEXT" } });
      await Deno.copyFile(db.path, path);
    }
    assert.ok(await chattr("+i", path));
    try {
      const result = await cli(["run", "--db", path, "--rows", "2"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /^dbhammer: Invalid --db: Cannot write to database .*readonly\.db: attempt to write a readonly database/,
      );
    } finally {
      await chattr("-i", path);
    }
  },
});

const hasScript = await new Deno.Command("script", { args: ["--version"] })
  .output().then((o) => o.success, () => false);

Deno.test({
  name:
    "cli run: a progress line on a terminal's stderr, redrawn; none when piped or with --json",
  ignore: !hasScript,
  async fn(): Promise<void> {
    // 40 transactions holding the lock 30 ms each, one after another: the
    // run lasts over a second, longer than the progress interval.
    const args = [
      "run",
      "--rows",
      "40",
      "--writers",
      "4",
      "--hold",
      "30",
      "--busy-timeout",
      "5000",
    ];
    // `script` gives the command a terminal (a pty) for stdin, stdout and
    // stderr; what it printed comes back on script's stdout.
    const onTerminal = async (extra: string[] = []) => {
      const quoted = ["run", "-A", CLI, ...args, ...extra].map((a) => `'${a}'`)
        .join(" ");
      const output = await new Deno.Command("script", {
        args: ["-qec", `'${Deno.execPath()}' ${quoted}`, "/dev/null"],
        env: { NO_COLOR: "1" },
      }).output();
      return {
        code: output.code,
        text: new TextDecoder().decode(output.stdout),
      };
    };
    const output = await onTerminal();
    const text = output.text;
    assert.equal(output.code, 0, text);
    const lines = text.split("\r\x1b[2K").slice(1, -1);
    assert.ok(lines.length >= 2, text);
    for (const line of lines) {
      assert.match(
        line,
        /^\d+\.\d s {2}commits \d+\/40 \(\d+\/s\) {2}lock errors 0$/,
      );
    }
    assert.match(text, /done\/intended: +40\/40 operations/);
    const json = await onTerminal(["--json"]);
    assert.equal(json.code, 0, json.text);
    assert.doesNotMatch(json.text, /commits \d+\/40/);
    assert.equal(JSON.parse(json.text.trim()).ok, 40);
    const piped = await cli(args);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, "");
    assert.doesNotMatch(piped.stdout, /commits \d+\/40/);
  },
});

Deno.test("cli: each command's --help shows its own flags only; --help names how to install the command", async () => {
  for (
    const [command, own, other] of [
      ["run", "--max-lost N", "--levels LIST"],
      ["probe", "--levels LIST", "--max-lost N"],
      ["init", "--import SPEC", "--writers N"],
      ["clean", "--dry-run", "--writers N"],
    ]
  ) {
    const result = await cli([command, "--help"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^Usage: dbhammer ${command}`));
    assert.ok(result.stdout.includes(own), `${command}: ${own}`);
    assert.ok(!result.stdout.includes(other), `${command}: ${other}`);
  }
  const all = await cli(["--help"]);
  assert.match(
    all.stdout,
    /Install the dbhammer command: deno install -g -A -n dbhammer .*cli\.ts/,
  );
});

Deno.test("cli init: with no --import, the test imports the dbhammer that ran init, and the printed command passes from where the user is", async () => {
  await using dir = await tempDir();
  const project = join(dir.path, "proj");
  // From the folder above a project not made yet, as `init proj`.
  const init = await cli(["init", "proj"], dir.path);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /^created .*proj$/m);
  const test = await Deno.readTextFile(
    join(project, "tests", "messages_concurrency_test.ts"),
  );
  assert.ok(test.includes(`from "${MOD}"`), test);
  const next = init.stdout.match(/^next: (deno test .+)$/m)?.[1];
  assert.equal(next, "deno test -A proj/tests/messages_concurrency_test.ts");
  const output = await new Deno.Command(Deno.execPath(), {
    args: next!.split(" ").slice(1),
    cwd: dir.path,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, text + new TextDecoder().decode(output.stderr));
  assert.match(text, /ok \| 3 passed/);
});
