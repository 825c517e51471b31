// The queue strategy's turn-taking, with two hosts' queues on one shared
// memory in this thread: the order of turns is exact, not sampled.
import assert from "node:assert/strict";
import { StrategyLockError } from "../../lib/strategies.ts";
import {
  HostQueue,
  releaseDeadHost,
  releaseDeadTicket,
} from "../../lib/host/_queue.ts";
import { allocateShared } from "../../lib/host/_memory.ts";
import { assertNoSecondTurn } from "../_helpers.ts";

const WRITERS = 5;

// A pending Atomics.waitAsync does not keep Deno's event loop alive (a
// host's Worker stays alive for its message handler); a timer does here. A
// turn that never comes fails the test instead of hanging it.
async function alive<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("timed out waiting for a turn")),
      5000,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A writer's loop: `ops` times take the turn, check it has it alone, note
 * it in `turns`, run `transaction`, give the turn back.
 */
type Writer = (
  host: HostQueue,
  name: string,
  ops: number,
  transaction?: (i: number, name: string) => Promise<unknown>,
) => Promise<void>;

function writers(turns: string[]): Writer {
  let inside = 0;
  return async (host, name, ops, transaction = () => Promise.resolve()) => {
    for (let i = 0; i < ops; i++) {
      await host.acquire();
      inside++;
      assert.equal(inside, 1, `${name} has the turn alone`);
      turns.push(name);
      await transaction(i, name);
      inside--;
      host.release();
    }
  };
}

function twoHosts(stopped = () => false): [HostQueue, HostQueue] {
  const atomics = new Int32Array(allocateShared(WRITERS));
  return [
    new HostQueue(atomics, WRITERS, 0, stopped),
    new HostQueue(atomics, WRITERS, 1, stopped),
  ];
}

Deno.test("queue: a host serves each of its waiting writers once, then hands the turn to the next host in FIFO order", async () => {
  const [a, b] = twoHosts();
  const turns: string[] = [];
  const writer = writers(turns);
  await alive(Promise.all([
    writer(a, "a0", 3),
    writer(a, "a1", 3),
    writer(a, "a2", 3),
    writer(b, "b0", 3),
    writer(b, "b1", 3),
  ]));
  // a0 found the turn free; a1 and a2 came while a0 had it, so they wait
  // for A's next turn, after B's (B took its ticket before A's second).
  assert.deepEqual(turns, [
    ...["a0", "b0", "b1", "a1", "a2"],
    ...["a0", "b0", "b1", "a1", "a2"],
    ...["a0", "b0", "b1", "a1", "a2"],
  ]);
});

Deno.test("queue: between two turns of a writer, no other writer has two", async () => {
  const [a, b] = twoHosts();
  const turns: string[] = [];
  const writer = writers(turns);
  // Transactions of different lengths, some ending on a timer.
  const uneven = (i: number, name: string) =>
    (i + name.length) % 3 === 0
      ? new Promise((resolve) => setTimeout(resolve, 1))
      : Promise.resolve();
  await alive(Promise.all([
    writer(a, "a0", 6, uneven),
    writer(a, "a1", 4, uneven),
    writer(b, "b0", 5, uneven),
    writer(b, "b11", 6, uneven),
    writer(b, "b222", 3, uneven),
  ]));
  assert.equal(turns.length, 24);
  assertNoSecondTurn(turns);
});

Deno.test("queue: a writer waiting when the run stops is refused with a strategy lock error", async () => {
  let stop = false;
  const [a, b] = twoHosts(() => stop);
  await a.acquire(); // A holds the turn and never gives it back
  const waiting = b.acquire();
  stop = true;
  await assert.rejects(
    alive(waiting),
    StrategyLockError,
    "run stopped while waiting in the queue",
  );
});

Deno.test("queue: the turn of a host that died holding it is passed on once, whoever passes it", async () => {
  const atomics = new Int32Array(allocateShared(WRITERS));
  const [a, b, c] = [0, 1, 2].map((id) =>
    new HostQueue(atomics, WRITERS, id, () => false)
  );
  const turns: string[] = [];
  await a.acquire(); // host 0 has the turn, then "dies"
  const bTurn = b.acquire().then(() => turns.push("b"));
  const cTurn = c.acquire().then(() => turns.push("c"));
  releaseDeadHost(atomics, WRITERS, 1); // not the holder: nothing happens
  releaseDeadHost(atomics, WRITERS, 0);
  await alive(bTurn);
  // A late release by the dead host, or a second one by the orchestrator,
  // must not pass b's turn on to c.
  a.release();
  releaseDeadHost(atomics, WRITERS, 0);
  await alive(new Promise((resolve) => setTimeout(resolve, 50)));
  assert.deepEqual(turns, ["b"]);
  b.release();
  await alive(cTurn);
  assert.deepEqual(turns, ["b", "c"]);
  c.release();
});

Deno.test("queue: the turn of a host that died waiting for it is taken for it and passed on when it comes", async () => {
  const atomics = new Int32Array(allocateShared(WRITERS));
  let bKilled = false;
  const a = new HostQueue(atomics, WRITERS, 0, () => false);
  const b = new HostQueue(atomics, WRITERS, 1, () => false, {
    killed: () => bKilled,
  });
  const c = new HostQueue(atomics, WRITERS, 2, () => false);
  const turns: string[] = [];
  await a.acquire(); // A has the turn; B, then C, wait with tickets
  b.acquire().then(() => turns.push("b"));
  const cTurn = c.acquire().then(() => turns.push("c"));
  bKilled = true; // B is ended while it waits
  // Nothing to do yet: B's turn has not come.
  const passed = releaseDeadTicket(atomics, WRITERS, 1);
  a.release();
  await alive(passed);
  await alive(cTurn);
  assert.deepEqual(turns, ["c"]);
  // A host that waited for nothing has no turn to pass.
  await alive(releaseDeadTicket(atomics, WRITERS, 0));
  c.release();
});

Deno.test("queue: a host whose writers all wait blocks its thread for the turn, and still lets its event loop run between slices", async () => {
  const atomics = new Int32Array(allocateShared(WRITERS));
  // A waits asynchronously; B, with one writer, blocks this thread.
  const a = new HostQueue(atomics, WRITERS, 0, () => false);
  const b = new HostQueue(atomics, WRITERS, 1, () => false, {
    hostWriters: 1,
  });
  const turns: string[] = [];
  await a.acquire();
  turns.push("a");
  // Only a timer on this thread gives A's turn back: B's wait must let the
  // event loop run, or B would wait forever.
  setTimeout(() => {
    turns.push("a releases");
    a.release();
  }, 0);
  await alive(b.acquire());
  turns.push("b");
  b.release();
  b.leave();
  assert.deepEqual(turns, ["a", "a releases", "b"]);
  assert.ok(b.blockedSlices >= 1, `B blocked ${b.blockedSlices} times`);
});

Deno.test("queue: a host waits asynchronously while one of its writers is busy elsewhere", async () => {
  const atomics = new Int32Array(allocateShared(WRITERS));
  const a = new HostQueue(atomics, WRITERS, 0, () => false);
  // B runs two writers; only one of them waits for the turn.
  const b = new HostQueue(atomics, WRITERS, 1, () => false, {
    hostWriters: 2,
  });
  await a.acquire();
  const bTurn = b.acquire();
  // B's other writer works on this thread meanwhile: a chain of event-loop
  // turns, each a macrotask, that hands A's turn back at its end.
  let links = 0;
  await new Promise<void>((resolve) => {
    const link = (): void => {
      if (++links < 50) setTimeout(link, 0);
      else resolve();
    };
    setTimeout(link, 0);
  });
  a.release();
  await alive(bTurn);
  assert.equal(links, 50);
  assert.equal(b.blockedSlices, 0, "B never blocked its thread");
  b.release();
  // Its other writer ends: now its one writer waiting is all it runs.
  b.leave();
  await a.acquire();
  const bAgain = b.acquire();
  setTimeout(() => a.release(), 0);
  await alive(bAgain);
  assert.ok(b.blockedSlices >= 1, `B blocked ${b.blockedSlices} times`);
  b.release();
});
