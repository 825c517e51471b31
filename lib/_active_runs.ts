// Private: what every run in progress must undo when the process is about to
// exit at once (the CLI's second Ctrl-C): kill its hosts and remove its
// files, synchronously. A run registers itself while it runs.
const runs = new Set<() => void>();

/** Registers a run's undo; returns the function that unregisters it. */
export function registerRun(undo: () => void): () => void {
  runs.add(undo);
  return () => runs.delete(undo);
}

/** Undoes every run in progress, as far as it can without waiting. */
export function undoActiveRuns(): void {
  for (const undo of runs) {
    try {
      undo();
    } catch {
      // Best effort: the process is exiting.
    }
  }
  runs.clear();
}
