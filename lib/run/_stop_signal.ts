// Private: one AbortSignal for everything that stops a run early: its
// deadline and the caller's signal, merged as std's `deadline()` does.

/** The reason of a stop signal aborted by the run's deadline. */
export class DeadlineReached extends Error {
  constructor(readonly deadlineMs: number) {
    super(`passed its deadline of ${deadlineMs} ms`);
  }
}

/**
 * Aborts at `deadlineMs` (its reason a {@linkcode DeadlineReached}) or when
 * `signal` aborts (its reason `signal.reason`). Disposing clears the timer.
 */
export class StopSignal implements Disposable {
  /** The merged signal. */
  readonly signal: AbortSignal;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(deadlineMs: number, signal?: AbortSignal) {
    const deadline = new AbortController();
    this.#timer = setTimeout(
      () => deadline.abort(new DeadlineReached(deadlineMs)),
      deadlineMs,
    );
    this.signal = signal === undefined
      ? deadline.signal
      : AbortSignal.any([signal, deadline.signal]);
  }

  /** Whether the deadline, not the caller, stopped the run. */
  get byDeadline(): boolean {
    return this.signal.reason instanceof DeadlineReached;
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }
}
