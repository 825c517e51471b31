// dbhammer imported as a user's project imports it from JSR or over HTTP:
// from a loopback file server, by URL, with no import map of its own.
// Worker mode, process mode, the libsql driver, the CLI and `init` must all
// resolve every module they load from there.
import assert from "node:assert/strict";
import { extname, join } from "node:path";
import { type DenoOutput, runDeno } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url);
const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".json": "application/json",
};

/** Serves the checkout on 127.0.0.1, as a static file server would. */
function serveCheckout(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      try {
        const body = await Deno.readFile(new URL(`.${path}`, ROOT));
        return new Response(body, {
          headers: {
            "content-type": TYPES[extname(path)] ?? "application/octet-stream",
          },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
}

const run = (args: string[], cwd: string): Promise<DenoOutput> =>
  runDeno(args, cwd);

Deno.test("imported over HTTP: Workers, processes, the libsql driver, the CLI and init all resolve", async () => {
  const server = serveCheckout();
  const base = `http://127.0.0.1:${server.addr.port}`;
  const project = await Deno.makeTempDir({ prefix: "dbhammer-user-" });
  try {
    await Deno.writeTextFile(
      join(project, "try.ts"),
      `import { createTable, fixtureDb, generateRows, insertRowsInParallel } from "${base}/mod.ts";
const results = [];
for (const mode of ["worker", "process"]) {
  for (const driver of [undefined, "${base}/lib/drivers/libsql.ts"]) {
    await using db = await fixtureDb();
    createTable(db, { name: "messages", columns: { msg: "TEXT" } });
    const report = await insertRowsInParallel(db, generateRows(8), {
      table: "messages", busyTimeoutMs: 5000, mode, driver,
    });
    results.push([mode, report.settings.driverName, report.ok]);
  }
}
console.log(JSON.stringify(results));`,
    );
    const library = await run(["run", "-A", "--quiet", "try.ts"], project);
    assert.equal(library.code, 0, library.stderr);
    assert.deepEqual(JSON.parse(library.stdout), [
      ["worker", "node:sqlite", 8],
      ["worker", "libsql", 8],
      ["process", "node:sqlite", 8],
      ["process", "libsql", 8],
    ]);

    const cli = await run([
      "run",
      "-A",
      "--quiet",
      `${base}/cli.ts`,
      "run",
      "--rows",
      "8",
      "--driver",
      "libsql",
      "--busy-timeout",
      "5000",
    ], project);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /\(libsql, SQLite /);
    assert.match(cli.stdout, /done\/intended: +8\/8 operations/);

    // init, then the command it prints, from the same folder, unedited.
    const init = await run(
      ["run", "-A", "--quiet", `${base}/cli.ts`, "init"],
      project,
    );
    assert.equal(init.code, 0, init.stderr);
    const test = await Deno.readTextFile(
      join(project, "tests", "messages_concurrency_test.ts"),
    );
    assert.ok(test.includes(`from "${base}/mod.ts"`), test);
    const next = init.stdout.match(/^next: (deno test .+)$/m)?.[1];
    assert.equal(next, "deno test -A tests/messages_concurrency_test.ts");
    const scaffolded = await run(next!.split(" ").slice(1), project);
    assert.equal(scaffolded.code, 0, scaffolded.stdout + scaffolded.stderr);
    assert.match(scaffolded.stdout, /ok \| 3 passed/);
  } finally {
    await Deno.remove(project, { recursive: true });
    await server.shutdown();
  }
});
