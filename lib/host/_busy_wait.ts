// Private: SQLite's busy handler, for writers that share a thread. Such a
// writer's connection has no busy timeout of its own (it would block the
// thread): a busy error is waited out here, without blocking, on SQLite's
// schedule and total timeout, and only where SQLite itself would wait.
import type { ClassifiedError } from "../sqlite/_classify.ts";
import { delay, now, WriterState, type WriterStateValue } from "./_memory.ts";

// SQLite's default busy handler (sqliteDefaultBusyCallback): sleep 1, 2, 5 …
// 100 ms between tries, giving up once the total would pass the timeout.
const BUSY_DELAYS = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
const BUSY_TOTALS = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228];

/**
 * How long SQLite's busy handler sleeps before try `count + 1`, or 0 when it
 * gives up, for a busy timeout of `timeoutMs`.
 */
export function busyDelay(count: number, timeoutMs: number): number {
  const last = BUSY_DELAYS.length - 1;
  let delayMs: number;
  let prior: number;
  if (count < BUSY_DELAYS.length) {
    delayMs = BUSY_DELAYS[count];
    prior = BUSY_TOTALS[count];
  } else {
    delayMs = BUSY_DELAYS[last];
    prior = BUSY_TOTALS[last] + delayMs * (count - last);
  }
  if (prior + delayMs > timeoutMs) {
    delayMs = timeoutMs - prior;
    if (delayMs <= 0) return 0;
  }
  return delayMs;
}

/** What a {@linkcode BusyWait} needs of its writer. */
export interface BusyWaitOptions {
  /** The busy timeout; 0 waits never. */
  timeoutMs: number;
  /** Whether to wait here (writers sharing a thread) or leave it to SQLite. */
  async: boolean;
  classify(error: unknown): ClassifiedError;
  /** Whether the run is stopping: a wait then gives up. */
  stopped(): boolean;
  /** Shows the writer's state while it waits, and after. */
  state(value: WriterStateValue): void;
}

/** One writer's SQLite calls, busy errors waited out as SQLite would. */
export class BusyWait {
  /** Time spent waiting here, since the last {@linkcode BusyWait.reset}. */
  waitedMs = 0;
  readonly #options: BusyWaitOptions;
  readonly #async: boolean;

  constructor(options: BusyWaitOptions) {
    this.#options = options;
    this.#async = options.async && options.timeoutMs > 0;
  }

  /** Starts counting the waits of a new operation. */
  reset(): void {
    this.waitedMs = 0;
  }

  /**
   * Runs `call`. Where SQLite's busy handler would wait (`canWait`: no read
   * transaction held yet, or a commit), a busy error is retried after the
   * handler's sleep, showing `WriterState.waiting`, then `during` again.
   * The common case stays synchronous: no promise per SQLite call.
   */
  step<T>(
    call: () => T,
    canWait: boolean,
    during: WriterStateValue,
  ): T | Promise<T> {
    if (!this.#async || !canWait) return call();
    return this.#waiting(call, during);
  }

  async #waiting<T>(call: () => T, during: WriterStateValue): Promise<T> {
    const { classify, stopped, state, timeoutMs } = this.#options;
    for (let count = 0;; count++) {
      try {
        return call();
      } catch (error) {
        if (classify(error).outcome !== "busy") throw error;
        const sleep = busyDelay(count, timeoutMs);
        if (sleep <= 0 || stopped()) throw error;
        const started = now();
        state(WriterState.waiting);
        await delay(sleep);
        this.waitedMs += now() - started;
        state(during);
      }
    }
  }
}
