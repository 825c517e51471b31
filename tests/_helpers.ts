// Shared by the tests: the example table, on a fresh fixture; the queue's
// fairness check.
import assert from "node:assert/strict";
import {
  createTable,
  type FixtureDb,
  fixtureDb,
  type FixtureOptions,
  generateRows,
  insertRows,
} from "../mod.ts";

/** A fresh fixture with the example table `messages(msg TEXT)`. */
export async function messagesDb(options?: FixtureOptions): Promise<FixtureDb> {
  const db = await fixtureDb(options);
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  return db;
}

/** What a `deno` subprocess printed, and its exit code. */
export interface DenoOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno <args>` in `cwd`, without colour, and waits for it. */
export async function runDeno(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<DenoOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A temp folder, removed with what is in it when disposed. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "dbhammer-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/**
 * Asserts that between two turns of anyone in `turns` (in the order the
 * turns were taken), nobody else had two: every waiting writer got its turn
 * before anyone got a second.
 */
export function assertNoSecondTurn(turns: readonly (string | number)[]): void {
  const last = new Map<string | number, number>();
  turns.forEach((who, i) => {
    const before = last.get(who);
    if (before !== undefined) {
      const between = turns.slice(before + 1, i);
      assert.equal(
        new Set(between).size,
        between.length,
        `between turns ${before} and ${i} of ${who}: ${between.join(" ")}`,
      );
    }
    last.set(who, i);
  });
}

/** A lock on a database held by another process, and its end. */
export interface HeldLock extends AsyncDisposable {
  /** Resolves once the other process has released the lock and exited. */
  released: Promise<void>;
}

/**
 * Holds a database's lock from another process (`BEGIN IMMEDIATE` or
 * `EXCLUSIVE`) for `ms` milliseconds; resolves once the lock is held, so a
 * run started after it certainly meets it. Disposing ends the holder (its
 * lock goes with it) and waits for it to exit.
 */
export async function holdLock(
  path: string,
  mode: "immediate" | "exclusive",
  ms: number,
): Promise<HeldLock> {
  const code = `
    import { DatabaseSync } from "node:sqlite";
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.prepare("BEGIN ${mode.toUpperCase()}").run();
    console.log("held");
    setTimeout(() => { db.prepare("ROLLBACK").run(); db.close(); }, ${ms});
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  assert.equal(value?.trim(), "held");
  let killed = false;
  const released = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
    const status = await child.status;
    assert.ok(status.success || killed, "the lock holder failed");
  })();
  return {
    released,
    [Symbol.asyncDispose]: () => {
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // It had exited.
      }
      return released;
    },
  };
}

/**
 * A copy of the example table's database, `name` in `dir`, with 2 000 rows
 * whose data pages are damaged: SQLite reads its schema, and reports
 * "database disk image is malformed" once it reads the table.
 */
export async function corruptDatabase(
  dir: string,
  name = "corrupt.db",
): Promise<string> {
  const path = `${dir}/${name}`;
  await using db = await messagesDb({ dir });
  insertRows(db, "messages", generateRows(2000, { payloadBytes: 50 }));
  await Deno.copyFile(db.path, path);
  // Pages 1 and 2 hold the header and the schema; page 4 is table data.
  const file = await Deno.open(path, { write: true });
  await file.seek(4096 * 3, Deno.SeekMode.Start);
  await file.write(new Uint8Array(4096).fill(0x5a));
  file.close();
  return path;
}

/**
 * Sets (`+i`) or clears (`-i`) a file's immutable flag; whether it could.
 * Root ignores permission bits; an immutable file is read-only even for root.
 */
export async function chattr(
  flag: "+i" | "-i",
  path: string,
): Promise<boolean> {
  const command = new Deno.Command("chattr", {
    args: [flag, path],
    stderr: "null",
  });
  return await command.output().then((o) => o.success, () => false);
}

/** Whether this machine can make a temp file immutable (chattr +i). */
export async function canMakeImmutable(): Promise<boolean> {
  const probe = await Deno.makeTempFile();
  try {
    return await chattr("+i", probe) && await chattr("-i", probe);
  } finally {
    await Deno.remove(probe);
  }
}
