// Private: what every run in progress must undo when the process is about to
// exit at once (a signal, the CLI's second Ctrl-C): kill its hosts and
// remove its files, synchronously. A run registers itself while it runs.
const runs = new Map<() => void, { handleSignals: boolean }>();

/** The signals a run undoes itself on, and the exit code each gives. */
const SIGNALS: [Deno.Signal, number][] = Deno.build.os === "windows"
  ? [["SIGINT", 2]]
  : [["SIGINT", 2], ["SIGTERM", 15]];

/** The listeners installed while a run that handles signals is in progress. */
let listeners: [Deno.Signal, () => void][] = [];

/**
 * Registers a run's undo; returns the function that unregisters it. With
 * `handleSignals`, SIGINT and SIGTERM undo every run in progress and exit
 * with 128 + the signal's number, as the signal would have ended the
 * process without a listener.
 */
export function registerRun(
  undo: () => void,
  options: { handleSignals?: boolean } = {},
): () => void {
  runs.set(undo, { handleSignals: options.handleSignals ?? false });
  updateListeners();
  return () => {
    runs.delete(undo);
    updateListeners();
  };
}

function updateListeners(): void {
  const wanted = [...runs.values()].some((r) => r.handleSignals);
  if (wanted && listeners.length === 0) {
    listeners = SIGNALS.map(([signal, number]) => {
      const listener = (): void => {
        undoActiveRuns();
        Deno.exit(128 + number);
      };
      Deno.addSignalListener(signal, listener);
      return [signal, listener];
    });
  } else if (!wanted && listeners.length > 0) {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
    listeners = [];
  }
}

/** Undoes every run in progress, as far as it can without waiting. */
export function undoActiveRuns(): void {
  for (const undo of runs.keys()) {
    try {
      undo();
    } catch {
      // Best effort: the process is exiting.
    }
  }
  runs.clear();
  updateListeners();
}
