// Private: what the CLI shows on a terminal: colour, the progress line,
// and Ctrl-C.
import { undoActiveRuns } from "../run/_active_runs.ts";
import type { RunProgress } from "../plan.ts";

/** What {@linkcode onInterrupt} gives a command. */
export interface Interrupt extends Disposable {
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
export function onInterrupt(): Interrupt {
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

export const colorOn = (stream: { isTerminal(): boolean }): boolean =>
  stream.isTerminal() && Deno.env.get("NO_COLOR") === undefined;

/** Colors text for stdout (`err` false) or stderr, only on a terminal. */
export const paint = (code: number, text: string, err = false): string =>
  colorOn(err ? Deno.stderr : Deno.stdout)
    ? `\x1b[${code}m${text}\x1b[0m`
    : text;

/** A progress line on stderr, redrawn in place; disposing clears it. */
export function progressLine(): Disposable & { show(p: RunProgress): void } {
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
