import assert from "node:assert/strict";
import { type AtomicInts, killedSlot } from "../../lib/host/_memory.ts";
import type { HostInit } from "../../lib/host/_protocol.ts";
import { resolvePlan } from "../../lib/_resolve_plan.ts";
import {
  coordinate,
  type Coordination,
  type RunFiles,
} from "../../lib/run/_coordination.ts";
import { HostPool } from "../../lib/run/_host_pool.ts";
import type { HostHandle } from "../../lib/run/_spawn.ts";

/** A handle that records what the pool does with it, and when. */
class WatchedHandle implements HostHandle {
  readonly events: string[] = [];
  init: HostInit | null = null;
  readonly closed: Promise<void>;
  #close!: () => void;
  constructor(
    readonly id: number,
    readonly shared: AtomicInts,
    writers: number,
  ) {
    this.closed = new Promise((resolve) => this.#close = resolve);
    this.#writers = writers;
  }
  readonly #writers: number;
  start(init: HostInit): void {
    this.init = init;
  }
  kill(): void {
    // What a thread still inside a call would see as it is terminated.
    const marked = this.shared.load(killedSlot(this.id, this.#writers));
    this.events.push(`kill (marked killed: ${marked === 1})`);
    this.#close();
  }
}

interface Watched {
  hosts: HostPool;
  handles: WatchedHandle[];
  shared: AtomicInts;
  coordination: Coordination;
}

async function pool(writers: number, threads: number): Promise<Watched> {
  const settings = resolvePlan({
    db: "/tmp/unused.db",
    workload: { kind: "counter", increments: 1 },
    writers,
    threads,
  });
  const files: RunFiles = { dir: null, removed: false };
  const coordination = await coordinate(settings, files);
  const shared = coordination.shared as AtomicInts;
  const handles: WatchedHandle[] = [];
  const hosts = new HostPool(settings, shared, (id) => {
    const handle = new WatchedHandle(id, shared, writers);
    handles.push(handle);
    return handle;
  });
  hosts.start(
    Array.from({ length: writers }, (_, id) => ({
      id,
      operations: [{ seq: 0, keys: [], fingerprints: [] }],
      values: [],
    })),
    coordination,
    null,
    { message(): void {}, failure(): void {} },
  );
  return { hosts, handles, shared, coordination };
}

Deno.test("HostPool: deals writers to hosts by id modulo threads, and sends each its slice", async () => {
  const { hosts, handles, coordination } = await pool(5, 2);
  assert.deepEqual(hosts.hosts.map((h) => h.writers), [[0, 2, 4], [1, 3]]);
  assert.deepEqual(
    handles.map((h) => h.init?.writers.map((w) => w.id)),
    [[0, 2, 4], [1, 3]],
  );
  assert.ok(handles.every((h) => h.init?.shared === coordination.buffer));
  await hosts[Symbol.asyncDispose]();
  await coordination.dispose();
});

Deno.test("HostPool.stop(): a host that did not finish is marked killed before it is killed, once", async () => {
  const { hosts, handles, shared, coordination } = await pool(3, 3);
  const [first, second, third] = hosts.hosts;
  hosts.stop(first, "stopped", "deadline");
  hosts.stop(first, "crashed", "later"); // ended already: nothing changes
  hosts.stop(second, "done", null);
  assert.deepEqual(handles[0].events, ["kill (marked killed: true)"]);
  assert.deepEqual([first.status, first.error], ["stopped", "deadline"]);
  // A host that finished is not marked killed: its writers are done.
  assert.deepEqual(handles[1].events, ["kill (marked killed: false)"]);
  assert.equal(shared.load(killedSlot(1, 3)), 0);
  assert.deepEqual(hosts.active, [third]);
  assert.equal(hosts.allEnded, false);
  hosts.stopAll("stopped", "aborted");
  assert.equal(hosts.allEnded, true);
  await hosts.closed();
  assert.deepEqual(hosts.summaries().map((h) => [h.status, h.ended]), [
    ["stopped", "stopped"],
    ["done", "done"],
    ["stopped", "stopped"],
  ]);
  await hosts[Symbol.asyncDispose]();
  await coordination.dispose();
});
