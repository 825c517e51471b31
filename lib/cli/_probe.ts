// Private: `dbhammer probe`.
import { DeadlineError } from "../errors.ts";
import { probe, type ProbeLevel } from "../probe.ts";
import { help } from "./_flags.ts";
import { asUsage, int, parse, UsageError } from "./_parse.ts";
import { rowsOf, runOptions, target } from "./_run.ts";
import { onInterrupt, paint } from "./_terminal.ts";

export function levelLine(level: ProbeLevel): string {
  return `${String(level.writers).padStart(7)} ${
    String(level.threads).padStart(7)
  } ${`${level.ok}/${level.intended}`.padStart(11)} ${
    String(level.lockErrors).padStart(11)
  } ${String(level.lost ?? "-").padStart(5)} ${
    level.commitsPerSec.toFixed(0).padStart(9)
  } ${(level.p99Ms === null ? "-" : level.p99Ms.toFixed(1)).padStart(8)}`;
}

export async function probeCommand(args: string[]): Promise<number> {
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
