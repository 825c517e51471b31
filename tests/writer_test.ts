import assert from "node:assert/strict";
import { busyDelay } from "../lib/writer.ts";

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
