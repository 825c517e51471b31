import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;

Deno.test("hosts: a first run on a fresh cache type-checks the host module once, not once per Worker", async () => {
  await using dir = await tempDir();
  const script = `${dir.path}/run.ts`;
  await Deno.writeTextFile(
    script,
    `import { createTable, fixtureDb, generateRows, insertRowsInParallel } from "${MOD}";
await using db = await fixtureDb();
createTable(db, { name: "messages", columns: { msg: "TEXT" } });
const report = await insertRowsInParallel(db, generateRows(8), { table: "messages", threads: 4, busyTimeoutMs: 5000 });
if (report.ok !== 8 || report.hosts.length !== 4) throw new Error("the run failed");
`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--check", script],
    // A cache of its own: nothing checked yet.
    env: { DENO_DIR: `${dir.path}/cache`, NO_COLOR: "1" },
    cwd: dir.path,
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const checks = stderr.split("\n").filter((line) =>
    /^Check .*lib\/host\/worker\.ts$/.test(line)
  );
  assert.equal(checks.length, 1, stderr);
});
