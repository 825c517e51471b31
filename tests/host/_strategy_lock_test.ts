import assert from "node:assert/strict";
import { join } from "node:path";
import { allocateShared } from "../../lib/host/_memory.ts";
import { HostQueue } from "../../lib/host/_queue.ts";
import { strategyLock } from "../../lib/host/_strategy_lock.ts";
import {
  fileLock,
  none,
  queue,
  StrategyLockError,
} from "../../lib/strategies.ts";
import { tempDir } from "../_helpers.ts";

/** Whether `promise` has settled by the next turn of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return done;
}

Deno.test("strategyLock(): none has no lock", () => {
  assert.equal(strategyLock(none(), null, () => false), null);
});

Deno.test("strategyLock(): a file lock is held until disposed, across opens of the file", async () => {
  await using dir = await tempDir();
  const strategy = fileLock({ path: join(dir.path, "lock"), timeoutMs: 5000 });
  const a = strategyLock(strategy, null, () => false)!;
  const b = strategyLock(strategy, null, () => false)!;
  const held = await a.acquire();
  const waiting = b.acquire();
  // flock: the second open of the file waits while the first holds it.
  assert.equal(await settled(waiting), false);
  held[Symbol.dispose]();
  const next = await waiting;
  next[Symbol.dispose]();
});

Deno.test("strategyLock(): a file lock not got in time is a StrategyLockError naming its tries", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "lock");
  const holder = await strategyLock(fileLock({ path }), null, () => false)!
    .acquire();
  const impatient = strategyLock(
    fileLock({ path, timeoutMs: 30, attempts: 2, delayMs: 1 }),
    null,
    () => false,
  )!;
  await assert.rejects(
    () => impatient.acquire(),
    (error: unknown) => {
      assert.ok(error instanceof StrategyLockError);
      assert.match(error.message, /not acquired within 30 ms \(2 tries\)/);
      return true;
    },
  );
  holder[Symbol.dispose]();
  // Its pending tries let go once the holder did: the lock is free.
  const free = await strategyLock(
    fileLock({ path, timeoutMs: 1000 }),
    null,
    () => false,
  )!
    .acquire();
  free[Symbol.dispose]();
});

Deno.test("strategyLock(): the queue's turn passes to the next host when disposed", async () => {
  const atomics = new Int32Array(allocateShared(2));
  const hosts = [0, 1].map((id) => new HostQueue(atomics, 2, id, () => false));
  const [a, b] = hosts.map((h) => strategyLock(queue(), h, () => false)!);
  const turn = await a.acquire();
  const next = b.acquire();
  assert.equal(await settled(next), false);
  turn[Symbol.dispose]();
  // A pending Atomics.waitAsync does not keep the event loop alive; a
  // timer does, and fails the test if the turn never comes.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the turn never came")), 5000);
  });
  try {
    (await Promise.race([next, never]))[Symbol.dispose]();
  } finally {
    clearTimeout(timer);
  }
  for (const host of hosts) host.leave();
});

Deno.test("strategyLock(): the queue without shared memory (process mode) refuses clearly", async () => {
  await assert.rejects(
    () => strategyLock(queue(), null, () => false)!.acquire(),
    /The queue strategy needs Worker mode/,
  );
});
