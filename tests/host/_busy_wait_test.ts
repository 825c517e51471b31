import assert from "node:assert/strict";
import { busyDelay, BusyWait } from "../../lib/host/_busy_wait.ts";
import { WriterState, type WriterStateValue } from "../../lib/host/_memory.ts";
import { classifyError } from "../../lib/sqlite/_classify.ts";

Deno.test("busyDelay() follows SQLite's busy handler schedule and total timeout", () => {
  const schedule = (timeoutMs: number): number[] => {
    const sleeps: number[] = [];
    for (let count = 0;; count++) {
      const d = busyDelay(count, timeoutMs);
      if (d <= 0) return sleeps;
      sleeps.push(d);
    }
  };
  assert.deepEqual(schedule(0), []);
  assert.deepEqual(schedule(10), [1, 2, 5, 2]);
  assert.deepEqual(schedule(228), [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50]);
  const long = schedule(1000);
  assert.deepEqual(long.slice(11), [100, 100, 100, 100, 100, 100, 100, 72]);
  assert.equal(long.reduce((a, b) => a + b, 0), 1000);
});

/** A SQLite call that is busy `times` times, then returns "done". */
function busyThen(times: number): { call: () => string; tries: () => number } {
  let tries = 0;
  return {
    call: () => {
      if (tries++ < times) {
        throw Object.assign(new Error("database is locked"), { errcode: 5 });
      }
      return "done";
    },
    tries: () => tries,
  };
}

function busyWait(
  timeoutMs: number,
  async = true,
  stopped = false,
): { busy: BusyWait; states: WriterStateValue[] } {
  const states: WriterStateValue[] = [];
  const busy = new BusyWait({
    timeoutMs,
    async,
    classify: classifyError,
    stopped: () => stopped,
    state: (value) => states.push(value),
  });
  return { busy, states };
}

Deno.test("BusyWait: waits a busy call out on SQLite's schedule, showing it waits", async () => {
  const { busy, states } = busyWait(5000);
  const sqlite = busyThen(3);
  const result = busy.step(sqlite.call, true, WriterState.acquiring);
  assert.ok(result instanceof Promise);
  assert.equal(await result, "done");
  assert.equal(sqlite.tries(), 4);
  // Slept 1 + 2 + 5 ms, at least.
  assert.ok(busy.waitedMs >= 8, `${busy.waitedMs}`);
  assert.deepEqual(states, [
    WriterState.waiting,
    WriterState.acquiring,
    WriterState.waiting,
    WriterState.acquiring,
    WriterState.waiting,
    WriterState.acquiring,
  ]);
  busy.reset();
  assert.equal(busy.waitedMs, 0);
});

Deno.test("BusyWait: gives up at the timeout, and waits never where SQLite would not", async () => {
  // 1 + 2 + 5 + 2 ms is all a 10 ms timeout allows: five tries.
  const short = busyThen(100);
  await assert.rejects(
    () =>
      busyWait(10).busy.step(
        short.call,
        true,
        WriterState.acquiring,
      ) as Promise<string>,
    /database is locked/,
  );
  assert.equal(short.tries(), 5);
  // Holding a read transaction (canWait false), or SQLite's own waits
  // (async false), or no timeout: one try, synchronously.
  for (const { busy } of [busyWait(5000), busyWait(5000, false), busyWait(0)]) {
    const once = busyThen(1);
    assert.throws(() => busy.step(once.call, false, WriterState.holding));
    assert.equal(once.tries(), 1);
  }
  for (const { busy } of [busyWait(5000, false), busyWait(0)]) {
    const once = busyThen(1);
    assert.throws(() => busy.step(once.call, true, WriterState.acquiring));
    assert.equal(once.tries(), 1);
  }
  // A stopping run gives up at once; any other error is not waited for.
  const stopping = busyThen(1);
  await assert.rejects(
    () =>
      busyWait(5000, true, true).busy.step(
        stopping.call,
        true,
        WriterState.acquiring,
      ) as Promise<string>,
  );
  assert.equal(stopping.tries(), 1);
  await assert.rejects(
    () =>
      busyWait(5000).busy.step(
        () => {
          throw new Error("no such table: t");
        },
        true,
        WriterState.acquiring,
      ) as Promise<string>,
    /no such table/,
  );
});
