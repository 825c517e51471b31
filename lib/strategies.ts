/**
 * Lock strategies: how writers make concurrent writes safe. Each constructor
 * returns plain data (it crosses into Workers); `compose` layers several, e.g.
 * a file lock with retries.
 *
 * | strategy | what it does |
 * | --- | --- |
 * | `none()` | lock errors surface at once (busy timeout 0) |
 * | `busyTimeout(ms)` | SQLite's own busy handler waits up to `ms` |
 * | `retry({ attempts, delayMs, backoff, jitter, maxDelayMs })` | the whole transaction is tried again after a lock error |
 * | `fileLock({ path, timeoutMs, attempts, delayMs })` | an exclusive file lock (flock) is held around each transaction: works across Workers and processes |
 * | `queue()` | writers of one run take turns through shared memory, without sleeping: hosts in FIFO order, each serving its waiting writers once per turn |
 *
 * @module
 */
import {
  integer,
  invalid,
  MAX_TIMEOUT_MS,
  rejectUnknownOptions,
} from "./_validate.ts";

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  /**
   * Tries in all, the first included.
   *
   * @default {10}
   */
  attempts?: number;
  /**
   * Delay before the first retry, in milliseconds.
   *
   * @default {10}
   */
  delayMs?: number;
  /**
   * Each further delay is multiplied by this.
   *
   * @default {2}
   */
  backoff?: number;
  /**
   * Random share of each delay (0 to 1) added or removed, so writers that
   * failed together do not retry together.
   *
   * @default {0.5}
   */
  jitter?: number;
  /**
   * Longest delay, in milliseconds.
   *
   * @default {1000}
   */
  maxDelayMs?: number;
}

/** Options of {@linkcode fileLock}. */
export interface FileLockOptions {
  /**
   * The lock file; created if missing, never removed by dbhammer.
   *
   * @default {the database path + ".dbhammer-lock"}
   */
  path?: string;
  /**
   * How long one try waits for the lock, in milliseconds. Also the run's
   * busy timeout unless one is given (a `busyTimeout` in a `compose`, the
   * run's `busyTimeoutMs`, or a fixture's non-zero one; `busyTimeoutMs: 0`
   * on the run keeps none): SQLite's lock held by a connection outside the
   * file lock (a killed Worker's, for a moment after its file lock is gone,
   * or another program's) is waited for, not failed on. With `retry` too,
   * each try waits so.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * Tries to take the lock before the operation fails.
   *
   * @default {1}
   */
  attempts?: number;
  /**
   * Pause between tries, in milliseconds.
   *
   * @default {100}
   */
  delayMs?: number;
}

/** A lock strategy: plain data, layered by {@linkcode compose}. */
export interface Strategy {
  /** What the report calls it, e.g. `fileLock+retry`. */
  name: string;
  /** SQLite busy timeout of every writer's connection. */
  busyTimeoutMs?: number;
  /** Retry the whole transaction after a lock error. */
  retry?: Required<RetryOptions>;
  /** Hold a file lock around each transaction. */
  fileLock?: Required<Omit<FileLockOptions, "path">> & { path: string | null };
  /** Take turns through an in-process queue (see {@linkcode queue}). */
  queue?: true;
}

/**
 * No strategy: lock errors surface at once (busy timeout 0).
 *
 * @example Lock errors at once
 * ```ts
 * import { none } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(none().busyTimeoutMs, 0);
 * ```
 *
 * @returns The strategy.
 */
export function none(): Strategy {
  return { name: "none", busyTimeoutMs: 0 };
}

/**
 * SQLite's busy handler: a writer that finds the database locked sleeps and
 * tries again, for up to `ms` milliseconds.
 *
 * @example A 5 s busy timeout
 * ```ts
 * import { busyTimeout } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(busyTimeout(5000).busyTimeoutMs, 5000);
 * ```
 *
 * @param ms Busy timeout in milliseconds.
 * @returns The strategy.
 * @throws {RangeError} If `ms` is negative or not an integer.
 */
export function busyTimeout(ms: number): Strategy {
  return {
    name: `busyTimeout(${ms})`,
    busyTimeoutMs: integer("busyTimeout ms", ms, 0, MAX_TIMEOUT_MS),
  };
}

/**
 * Application-level retry: after a lock error the transaction is rolled back
 * and tried again, after a delay that grows by `backoff` (with jitter).
 *
 * @example Ten tries, 10 ms doubling
 * ```ts
 * import { retry } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(retry({ attempts: 10 }).retry, {
 *   attempts: 10, delayMs: 10, backoff: 2, jitter: 0.5, maxDelayMs: 1000,
 * });
 * ```
 *
 * @param options Tries and delays.
 * @returns The strategy.
 * @throws {TypeError} If an option is unknown.
 * @throws {RangeError} If a number is out of range.
 */
export function retry(options: RetryOptions = {}): Strategy {
  checkOptionsObject("retry", options);
  rejectUnknownOptions("retry", options, [
    "attempts",
    "delayMs",
    "backoff",
    "jitter",
    "maxDelayMs",
  ]);
  const backoff = options.backoff ?? 2;
  const jitter = options.jitter ?? 0.5;
  if (typeof backoff !== "number" || !(backoff >= 1) || backoff > 100) {
    throw invalid(
      "retry backoff",
      `${backoff} (expected 1 to 100)`,
      RangeError,
    );
  }
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw invalid("retry jitter", `${jitter} (expected 0 to 1)`, RangeError);
  }
  const settings = {
    attempts: integer("retry attempts", options.attempts ?? 10, 1, 1_000_000),
    delayMs: integer("retry delayMs", options.delayMs ?? 10, 0, MAX_TIMEOUT_MS),
    backoff,
    jitter,
    maxDelayMs: integer(
      "retry maxDelayMs",
      options.maxDelayMs ?? 1000,
      0,
      MAX_TIMEOUT_MS,
    ),
  };
  return { name: "retry", retry: settings };
}

/**
 * An exclusive file lock (`Deno.FsFile.lock`, flock) held around each
 * transaction: writers take turns across Workers and processes, and a lock
 * held by a killed process is released by the operating system.
 *
 * @example A lock file beside the database
 * ```ts
 * import { fileLock } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fileLock({ timeoutMs: 3000 }).fileLock?.timeoutMs, 3000);
 * ```
 *
 * @param options Lock file, wait and tries.
 * @returns The strategy.
 * @throws {TypeError} If an option is unknown.
 * @throws {RangeError} If a number is out of range.
 */
export function fileLock(options: FileLockOptions = {}): Strategy {
  checkOptionsObject("fileLock", options);
  rejectUnknownOptions("fileLock", options, [
    "path",
    "timeoutMs",
    "attempts",
    "delayMs",
  ]);
  if (
    options.path !== undefined &&
    (typeof options.path !== "string" || options.path === "")
  ) {
    throw invalid("fileLock path", `${JSON.stringify(options.path)}`);
  }
  return {
    name: "fileLock",
    fileLock: {
      path: options.path ?? null,
      timeoutMs: integer(
        "fileLock timeoutMs",
        options.timeoutMs ?? 10_000,
        0,
        MAX_TIMEOUT_MS,
      ),
      attempts: integer(
        "fileLock attempts",
        options.attempts ?? 1,
        1,
        1_000_000,
      ),
      delayMs: integer(
        "fileLock delayMs",
        options.delayMs ?? 100,
        0,
        MAX_TIMEOUT_MS,
      ),
    },
  };
}

/**
 * An in-process queue: the run's writers take turns through shared memory
 * (`SharedArrayBuffer` + `Atomics`), waiting without sleeping. The turn goes
 * to hosts (threads) in FIFO order; a host passes it to each of its writers
 * that were waiting when it came, one after another, then hands it on. So a
 * hand-off between threads happens once per round, not once per
 * transaction, and no writer commits twice while another waits. Worker mode
 * only.
 *
 * @example Take turns
 * ```ts
 * import { queue } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(queue().queue, true);
 * ```
 *
 * @returns The strategy.
 */
export function queue(): Strategy {
  return { name: "queue", queue: true };
}

/**
 * Layers strategies, e.g. a file lock with retries. Each kind may appear once.
 *
 * @example A file lock, retried
 * ```ts
 * import { compose, fileLock, retry } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * const strategy = compose(fileLock({ timeoutMs: 1000 }), retry({ attempts: 5 }));
 * assert.equal(strategy.name, "fileLock+retry");
 * ```
 *
 * @param strategies The layers.
 * @returns One strategy with all of them.
 * @throws {TypeError} If none is given, one is not a strategy (e.g.
 * `retry` instead of `retry()`), or a kind appears twice.
 */
export function compose(...strategies: Strategy[]): Strategy {
  if (strategies.length === 0) {
    throw invalid("compose", "no strategies given");
  }
  strategies.forEach((s, i) =>
    checkStrategyObject(`compose argument ${i + 1}`, s)
  );
  const result: Strategy = { name: strategies.map((s) => s.name).join("+") };
  for (const s of strategies) {
    for (const key of STRATEGY_PARTS) {
      if (s[key] === undefined) continue;
      if (result[key] !== undefined) {
        throw invalid("compose", `two strategies set ${key}`);
      }
      (result as unknown as Record<string, unknown>)[key] = s[key];
    }
  }
  return result;
}

function checkOptionsObject(what: string, options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw invalid(`${what} options`, `${String(options)} (expected an object)`);
  }
}

/**
 * The delay before retry number `retryIndex` (0 = the first retry), with
 * jitter drawn from `random`.
 *
 * @example Exponential backoff without jitter
 * ```ts
 * import { retryDelay } from "./strategies.ts";
 * import assert from "node:assert/strict";
 *
 * const settings = { attempts: 5, delayMs: 10, backoff: 2, jitter: 0, maxDelayMs: 50 };
 * assert.deepEqual([0, 1, 2, 3].map((i) => retryDelay(settings, i)), [10, 20, 40, 50]);
 * ```
 */
export function retryDelay(
  settings: Required<RetryOptions>,
  retryIndex: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    settings.maxDelayMs,
    settings.delayMs * settings.backoff ** retryIndex,
  );
  const spread = base * settings.jitter;
  return Math.max(0, base - spread + 2 * spread * random());
}

/** The parts a strategy is made of. */
export const STRATEGY_PARTS = [
  "busyTimeoutMs",
  "retry",
  "fileLock",
  "queue",
] as const;

/**
 * Throws a TypeError naming `what` unless `value` is a strategy made by
 * this module: a strategy function passed uncalled, or an object of a name
 * alone, would otherwise run as no strategy at all under that name.
 */
export function checkStrategyObject(what: string, value: unknown): void {
  if (typeof value === "function") {
    throw invalid(
      what,
      `${value.name} is a function; call it: ${value.name}(…)`,
    );
  }
  const strategy = value as Strategy | null;
  if (
    typeof strategy !== "object" || strategy === null ||
    typeof strategy.name !== "string" ||
    !STRATEGY_PARTS.some((part) => strategy[part] !== undefined)
  ) {
    throw invalid(
      what,
      `${
        JSON.stringify(value) ?? String(value)
      } (expected none(), busyTimeout(ms), retry(), fileLock(), queue() or compose(…))`,
    );
  }
}

/**
 * A lock failure of the strategy itself (file lock or queue), not SQLite's:
 * recorded as `busy` with no code.
 */
export class StrategyLockError extends Error {}
