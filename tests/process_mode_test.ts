// mode: "process": the same plans, outcomes and assertions with writers in
// real subprocesses, where a crash is a real SIGKILL.
import assert from "node:assert/strict";
import {
  assertAcknowledged,
  assertIntegrity,
  assertLockErrors,
  assertNoLockErrors,
  assertRowCount,
  assertRowOrder,
  createTable,
  DeadlineError,
  fileLock,
  fixtureDb,
  generateRows,
  hammer,
  insertRowsInParallel,
  liveHosts,
  none,
  queue,
  type Report,
  rowCount,
  type Strategy,
} from "../mod.ts";
import { messagesDb } from "./_helpers.ts";
import { DatabaseSync } from "node:sqlite";
import { undoActiveRuns } from "../lib/run/_active_runs.ts";

Deno.test("process mode: the long-task scenario, 3 writers × 2 rows holding 3 s", async (t) => {
  const run = async (strategy: Strategy) => {
    await using db = await messagesDb();
    const report = await insertRowsInParallel(db, generateRows(6), {
      table: "messages",
      writers: 3,
      holdMs: 3000,
      mode: "process",
      strategy,
    });
    assert.equal(report.settings.mode, "process");
    assert.equal(report.hosts.length, 3);
    assertRowCount(db, "messages", report.ok);
    assertAcknowledged(db, report);
    return report;
  };
  // Both at once, on two databases: without a strategy it takes ~6 s, with
  // the file lock 6 × 3 s.
  const [bare, locked] = await Promise.all([
    run(none()),
    run(fileLock({ timeoutMs: 60_000 })),
  ]);
  await t.step(
    "no busy timeout: lock errors, reported per writer; the run ends",
    () => {
      assertLockErrors(bare, { min: 1 });
      assert.ok(bare.perWriter.some((w) => w.busy > 0));
      assert.ok(bare.hosts.every((h) => h.status === "done"));
    },
  );
  await t.step("fileLock across processes: 6 rows, no lock errors", () => {
    assertNoLockErrors(locked);
    assert.equal(locked.ok, 6);
  });
  assert.equal(liveHosts(), 0);
});

Deno.test("process mode: a writer SIGKILLed inside a transaction loses nothing acknowledged", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(12) },
    writers: 3,
    mode: "process",
    busyTimeoutMs: 10_000,
    holdMs: 20,
    crash: { writer: 0, afterOps: 2, inTransaction: true },
  });
  const host = report.hosts.find((h) => h.writers.includes(0));
  assert.equal(host?.status, "crashed");
  assert.match(
    host?.error ?? "",
    /killed by crash injection: writer 0 after 2 operations, inside a transaction/,
  );
  const writer0 = report.outcomes.filter((o) => o.writer === 0);
  assert.deepEqual(writer0.map((o) => o.outcome), [
    "ok",
    "ok",
    "unknown",
    "skipped",
  ]);
  assert.equal(writer0[2].resolved, "absent");
  assert.equal(report.ok, 10);
  assertRowCount(db, "messages", 10);
  assertAcknowledged(db, report);
  assertIntegrity(db);
  assert.equal(report.lockFreeAfterRun, true);
  assert.equal(liveHosts(), 0);
});

Deno.test("process mode: a host that throws is reported as crashed with its exit", async () => {
  await using db = await messagesDb();
  const report = await hammer({
    db,
    workload: { kind: "insert", table: "messages", rows: generateRows(4) },
    writers: 2,
    mode: "process",
    busyTimeoutMs: 10_000,
    crash: { writer: 1, afterOps: 1, inTransaction: false, how: "throw" },
  });
  const host = report.hosts.find((h) => h.writers.includes(1));
  assert.equal(host?.status, "crashed");
  assert.match(
    host?.error ?? "",
    /host process \d exited with code 1: .*writer 1 threw/,
  );
  assert.equal(report.ok, 3);
  assert.equal(report.crashHappened, true);
  assertAcknowledged(db, report);
});

Deno.test("process mode: several writers per process, blobs and big integers cross intact, a task module runs", async () => {
  await using db = await fixtureDb();
  createTable(db, { name: "blobs", columns: { data: "BLOB", big: "INTEGER" } });
  const rows = Array.from({ length: 8 }, (_, i) => ({
    data: new Uint8Array([i, 255, 0, i]),
    big: 2n ** 60n + BigInt(i),
  }));
  const report = await insertRowsInParallel(db, rows, {
    table: "blobs",
    writers: 4,
    threads: 2,
    mode: "process",
    busyTimeoutMs: 10_000,
  });
  assert.equal(report.settings.busyWait, "async");
  assertNoLockErrors(report);
  assertAcknowledged(db, report);
  assertRowOrder(db, "blobs", { order: "per-writer", report });

  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const task = await hammer({
    db,
    workload: {
      kind: "task",
      module: new URL("../fixtures/tasks/insert_message.ts", import.meta.url),
      operations: 3,
    },
    writers: 2,
    mode: "process",
    strategy: fileLock(),
  });
  assert.equal(task.ok, 6);
  assert.equal(rowCount(db, "messages"), 6);
});

Deno.test("process mode: the queue strategy is refused (it lives in shared memory)", async () => {
  await using db = await messagesDb();
  await assert.rejects(
    insertRowsInParallel(db, generateRows(2), {
      table: "messages",
      mode: "process",
      strategy: queue(),
    }),
    {
      name: "TypeError",
      message: /Invalid strategy: queue needs mode "worker"/,
    },
  );
  assert.equal(liveHosts(), 0);
});

Deno.test("process mode: a writer stuck forever is killed at the deadline and its lock released", async () => {
  await using db = await messagesDb();
  const error = await hammer({
    db,
    workload: {
      kind: "task",
      module: new URL("../fixtures/tasks/stuck.ts", import.meta.url),
      operations: 1,
    },
    writers: 1,
    mode: "process",
    transaction: "immediate",
    deadlineMs: 1500,
  }).then(() => null, (e) => e);
  assert.ok(error instanceof DeadlineError, String(error));
  assert.match(
    error.message,
    /1 writer unfinished: writer 0 \(operation 1 of 1\): in a transaction, holding the write lock$/,
  );
  assert.equal(error.report.hosts[0].status, "stopped");
  assert.equal(error.report.lockFreeAfterRun, true);
  assert.equal(rowCount(db, "messages"), 0);
  assert.equal(liveHosts(), 0);
});

Deno.test("process mode: a run undone at once (the CLI's second Ctrl-C) leaves no host and no run files", async () => {
  await using db = await messagesDb();
  const tmp = await Deno.makeTempDir();
  const before = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  try {
    const run = hammer({
      db,
      workload: { kind: "insert", table: "messages", rows: generateRows(4) },
      writers: 2,
      mode: "process",
      holdMs: 60_000,
      busyTimeoutMs: 60_000,
    });
    // Its hosts are spawned (its files exist since before).
    while (liveHosts() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.equal([...Deno.readDirSync(tmp)].length, 1);
    undoActiveRuns();
    // Synchronously: the run's files are gone and its hosts killed.
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
    assert.equal(liveHosts(), 0);
    // The run then ends, never hangs: with an error (its hosts died before
    // the start) or as if its hosts had crashed.
    const ended: Report | Error = await run.then(
      (report) => report,
      (error) => error,
    );
    if (!(ended instanceof Error)) {
      assert.ok(ended.hosts.every((h) => h.status === "crashed"));
      assertAcknowledged(db, ended);
    }
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
    assert.equal(liveHosts(), 0);
  } finally {
    if (before === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", before);
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The pids of `parent`'s live child processes (Linux: /proc). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && Number(fields[1]) === parent) {
        children.push(Number(entry.name));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}

/** Whether process `pid` is alive (a zombie is not). */
function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(done(), `timed out waiting until ${what}`);
}

/**
 * `null` once another connection can take the write lock within `ms`, else
 * the last refusal's message.
 */
async function lockHeldAfter(path: string, ms: number): Promise<string | null> {
  const started = Date.now();
  for (;;) {
    const db = new DatabaseSync(path);
    try {
      db.prepare("BEGIN IMMEDIATE").run();
      db.prepare("ROLLBACK").run();
      return null;
    } catch (error) {
      if (Date.now() - started > ms) return (error as Error).message;
    } finally {
      db.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Who holds POSIX locks on `path` (from /proc/locks), to explain a failure. */
function lockHolders(path: string): string {
  const ino = Deno.statSync(path).ino;
  const holders = Deno.readTextFileSync("/proc/locks").split("\n")
    .filter((line) => line.split(/\s+/)[5]?.endsWith(`:${ino}`))
    .map((line) => {
      const pid = line.split(/\s+/)[4];
      let command = "?";
      try {
        command = Deno.readTextFileSync(`/proc/${pid}/cmdline`)
          .replaceAll("\0", " ");
      } catch {
        command = "(gone)";
      }
      return `${line.trim()} <- ${command}`;
    });
  return holders.join("\n") || "no POSIX lock on the file";
}

/** A write lock taken by one of the run's writers: another connection cannot get it. */
function writeLockHeld(path: string): boolean {
  const db = new DatabaseSync(path);
  try {
    db.prepare("BEGIN IMMEDIATE").run();
    db.prepare("ROLLBACK").run();
    return false;
  } catch {
    return true;
  } finally {
    db.close();
  }
}

/**
 * Starts a script that runs a process-mode run on `path` (4 writers of a row
 * each, on 4 host processes; the first to take the lock holds it 60 s, the
 * others wait for it inside SQLite's busy handler), and resolves once every
 * host runs and the lock is held.
 */
async function orchestrator(
  path: string,
  tmp: string,
  permissions: string[],
  options = "",
): Promise<{ child: Deno.ChildProcess; hosts: number[] }> {
  const script = `${tmp}/orchestrator.ts`;
  await Deno.writeTextFile(
    script,
    `import { generateRows, hammer } from ${JSON.stringify(MOD)};
await hammer({
  db: ${JSON.stringify(path)},
  workload: { kind: "insert", table: "messages", rows: generateRows(4) },
  mode: "process",
  holdMs: 60_000,
  busyTimeoutMs: 120_000,
  ${options}
});`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissions, script],
    env: { TMPDIR: tmp },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await until("4 hosts run", () => childrenOf(child.pid).length === 4);
  await until("a writer holds the lock", () => writeLockHeld(path));
  return { child, hosts: childrenOf(child.pid) };
}

const MOD = new URL("../mod.ts", import.meta.url).href;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const linux = Deno.build.os === "linux";

for (
  const [how, permissions] of [
    ["setpriv kills them", ["-A"]],
    // No permission to run setpriv: the hosts watch stdin and their parent.
    ["they watch stdin and their parent pid", [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      `--allow-run=${Deno.execPath()}`,
    ]],
  ] as const
) {
  Deno.test({
    name:
      `process mode: hosts end, committing nothing more, when their orchestrator is SIGKILLed (${how}); a later clean removes its run dir`,
    ignore: !linux,
    async fn(): Promise<void> {
      await using db = await messagesDb();
      const tmp = await Deno.makeTempDir();
      try {
        const { child, hosts } = await orchestrator(db.path, tmp, [
          ...permissions,
        ]);
        assert.equal(rowCount(db.path, "messages"), 0);
        child.kill("SIGKILL");
        await child.status;
        // Every host goes; the three waiting for the lock get it once
        // writer 0's host is gone, and must not commit with it.
        await until("every host has ended", () => !hosts.some(isAlive));
        assert.equal(rowCount(db.path, "messages"), 0);
        // Free as a run's own after-run check has it: within 2 s of the
        // last host's end (the kernel releases a dead process's locks as
        // it reaps it). A host that lived on would hold it for 60 s.
        const held = await lockHeldAfter(db.path, 2000);
        assert.equal(held, null, `${held}\n${lockHolders(db.path)}`);
        // Its run dir stays behind, named by its pid; clean removes it.
        const left = [...Deno.readDirSync(tmp)].map((e) => e.name)
          .filter((name) => name.startsWith("dbhammer-run-"));
        assert.deepEqual(
          left,
          [`dbhammer-run-${child.pid}-`].map((p) =>
            left.find((name) => name.startsWith(p)) ?? p
          ),
        );
        const clean = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", CLI, "clean"],
          env: { TMPDIR: tmp, NO_COLOR: "1" },
        }).output();
        const out = new TextDecoder().decode(clean.stdout);
        assert.equal(clean.code, 0, out);
        assert.match(out, /removed 1 stale temp dir of dbhammer/);
        assert.deepEqual(
          [...Deno.readDirSync(tmp)].filter((e) => e.isDirectory),
          [],
        );
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    },
  });
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name:
      `process mode: a library script's run is undone on ${signal}, then it exits ${
        signal === "SIGTERM" ? 143 : 130
      }`,
    ignore: !linux,
    async fn(): Promise<void> {
      await using db = await messagesDb();
      const tmp = await Deno.makeTempDir();
      try {
        // Without setpriv, so that only the handler can end the hosts.
        const { child, hosts } = await orchestrator(db.path, tmp, [
          "--allow-read",
          "--allow-write",
          "--allow-env",
          `--allow-run=${Deno.execPath()}`,
        ]);
        child.kill(signal);
        const status = await child.status;
        assert.equal(status.code, signal === "SIGTERM" ? 143 : 130);
        await until("every host has ended", () => !hosts.some(isAlive));
        assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [
          "orchestrator.ts",
        ]);
        assert.equal(rowCount(db.path, "messages"), 0);
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    },
  });
}
