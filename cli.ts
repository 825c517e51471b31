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
import { DatabaseError } from "./lib/errors.ts";
import denoJson from "./deno.json" with { type: "json" };
import { cleanCommand } from "./lib/cli/_clean.ts";
import { help } from "./lib/cli/_flags.ts";
import { initCommand } from "./lib/cli/_init.ts";
import { UsageError } from "./lib/cli/_parse.ts";
import { probeCommand } from "./lib/cli/_probe.ts";
import { runCommand } from "./lib/cli/_run.ts";
import { paint } from "./lib/cli/_terminal.ts";

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
