// Private: a strategy's own lock around each transaction, outside SQLite:
// the queue (turns in shared memory) and the file lock (flock, across
// processes), behind one `acquire()` that returns what releases it.
import type { RunSettings } from "../plan.ts";
import { StrategyLockError } from "../strategies.ts";
import { delay } from "./_memory.ts";
import type { HostQueue } from "./_queue.ts";

/** A lock a writer takes before each transaction and releases after it. */
export interface StrategyLock {
  /** Waits for the lock; disposing the result releases it. */
  acquire(): Promise<Disposable>;
}

type FileLockSettings = NonNullable<RunSettings["strategy"]["fileLock"]>;

/**
 * An exclusive flock on a file, tried `attempts` times for `timeoutMs`
 * each, `delayMs` apart; a refusal is a {@linkcode StrategyLockError}.
 */
export class FileLock implements StrategyLock {
  readonly #spec: FileLockSettings;
  readonly #stopped: () => boolean;

  constructor(spec: FileLockSettings, stopped: () => boolean) {
    this.#spec = spec;
    this.#stopped = stopped;
  }

  async acquire(): Promise<Disposable> {
    const spec = this.#spec;
    for (let attempt = 1;; attempt++) {
      const file = await Deno.open(spec.path!, {
        read: true,
        write: true,
        create: true,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const locked = file.lock(true).then(() => true);
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), spec.timeoutMs);
      });
      const got = await Promise.race([locked, timedOut]);
      clearTimeout(timer);
      // Closing the file releases the flock.
      if (got) return { [Symbol.dispose]: () => file.close() };
      // Give up this try; the pending lock is released as soon as it lands.
      locked.then(() => file.close(), () => file.close());
      if (attempt >= spec.attempts || this.#stopped()) {
        throw new StrategyLockError(
          `file lock ${spec.path} not acquired within ${spec.timeoutMs} ms (${attempt} tr${
            attempt === 1 ? "y" : "ies"
          })`,
        );
      }
      await delay(spec.delayMs);
    }
  }
}

/** The queue strategy's turn, from the host's side of the queue. */
export class QueueLock implements StrategyLock {
  readonly #queue: HostQueue;

  constructor(queue: HostQueue) {
    this.#queue = queue;
  }

  async acquire(): Promise<Disposable> {
    await this.#queue.acquire();
    return { [Symbol.dispose]: () => this.#queue.release() };
  }
}

/** Several locks taken in order and released in reverse. */
class Locks implements StrategyLock {
  readonly #locks: StrategyLock[];

  constructor(locks: StrategyLock[]) {
    this.#locks = locks;
  }

  async acquire(): Promise<Disposable> {
    const held = new DisposableStack();
    try {
      for (const lock of this.#locks) held.use(await lock.acquire());
    } catch (error) {
      held.dispose();
      throw error;
    }
    return held;
  }
}

/**
 * The lock of `strategy` (queue, then file lock, where both are set), or
 * `null` for a strategy without one.
 */
export function strategyLock(
  strategy: RunSettings["strategy"],
  queue: HostQueue | null,
  stopped: () => boolean,
): StrategyLock | null {
  const locks: StrategyLock[] = [];
  if (strategy.queue) {
    if (queue === null) {
      return {
        acquire: () =>
          Promise.reject(
            new Error("The queue strategy needs Worker mode (shared memory)"),
          ),
      };
    }
    locks.push(new QueueLock(queue));
  }
  if (strategy.fileLock) locks.push(new FileLock(strategy.fileLock, stopped));
  return locks.length === 0
    ? null
    : locks.length === 1
    ? locks[0]
    : new Locks(locks);
}
