// Private: the queue strategy. Writers take turns through a ticket lock in
// shared memory, taken by hosts (threads), not by writers: a host that gets
// the turn passes it to each of its own writers that were waiting when it
// came, one after another and without going back to the event loop, then
// hands it to the next host in FIFO order. Every writer still gets at most
// one transaction per turn of its host, so no writer waits for more than one
// round of the others; and a hand-off between threads, the slow part, happens
// once per round instead of once per transaction.
//
// A host whose writers all wait for its turn has nothing else to run, so it
// waits for the turn on its thread (Atomics.wait, in slices with its event
// loop turning between them), as a hand-written loop would: a thread woken
// that way starts its turn sooner than one woken through Atomics.waitAsync
// (bench/README.md, "Design measurements"). While any of its writers has something else to do (a retry's delay, a
// crash point), the host waits asynchronously and its thread stays free.
import { StrategyLockError } from "../strategies.ts";
import {
  HOLDER,
  pendingSlot,
  queueSlot,
  SERVING,
  STOP,
  TICKET,
} from "./_memory.ts";

/**
 * Longest a host blocks its thread at a time waiting for its turn; between
 * two slices its event loop turns once. A slice that ends before the turn
 * wakes the thread for nothing, which costs throughput on a VM
 * (bench/README.md, "Design measurements").
 */
const BLOCK_SLICE_MS = 100;

/** Resolves on a later turn of the event loop (after timers due now). */
const nextMacrotask = (): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, 0));

/** Optional parts of a {@linkcode HostQueue}. */
export interface HostQueueOptions {
  /**
   * Whether the orchestrator has ended this host: then it takes and passes
   * no turn any more (the orchestrator passes them).
   */
  killed?: () => boolean;
  /**
   * How many writers this host runs (each calls `leave()` when it ends).
   * Given, the host waits for its turn on its thread whenever all of them
   * wait for it; omitted, it always waits asynchronously (as it must when
   * several hosts share one thread, as in tests).
   */
  hostWriters?: number;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** One host's side of the queue: shared by the writers of that host. */
export class HostQueue {
  #atomics: Int32Array;
  #writers: number;
  #holder: number;
  /** This host's pending-ticket slot in shared memory. */
  #pending: number;
  #stopped: () => boolean;
  #killed: () => boolean;
  /** Writers of this host that have not ended. */
  #active: number;
  #waiting: Waiter[] = [];
  /** Whether this host holds the turn (one of its writers is using it). */
  #holding = false;
  /** Whether this host has a ticket and waits for it to be served. */
  #requested = false;
  /** Hand-offs left within this host in the current turn. */
  #budget = 0;
  #blockedSlices = 0;

  /**
   * @param atomics The run's shared memory.
   * @param writers The run's number of writers (sizes the wait slots).
   * @param hostId This host's id.
   * @param stopped Whether the run is stopping.
   * @param options Whether the host was ended; how many writers it runs.
   */
  constructor(
    atomics: Int32Array,
    writers: number,
    hostId: number,
    stopped: () => boolean,
    options: HostQueueOptions = {},
  ) {
    this.#atomics = atomics;
    this.#writers = writers;
    this.#holder = hostId + 1;
    this.#pending = pendingSlot(hostId, writers);
    this.#stopped = stopped;
    this.#killed = options.killed ?? (() => false);
    this.#active = options.hostWriters ?? Infinity;
  }

  /** How many times this host has blocked its thread to wait for a turn. */
  get blockedSlices(): number {
    return this.#blockedSlices;
  }

  /** Called by a writer that has ended: it will not wait for turns again. */
  leave(): void {
    this.#active--;
  }

  /** Resolves when the calling writer has the turn. */
  acquire(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (!this.#holding && !this.#requested) this.#request();
    });
  }

  /** Ends the calling writer's turn. */
  release(): void {
    if (this.#killed()) return;
    if (this.#waiting.length > 0 && this.#budget > 0) {
      this.#serveNext();
      return;
    }
    this.#holding = false;
    passTurn(this.#atomics, this.#writers, this.#holder);
    if (this.#waiting.length > 0) this.#request();
  }

  #serveNext(): void {
    this.#budget--;
    this.#waiting.shift()!.resolve();
  }

  async #request(): Promise<void> {
    this.#requested = true;
    if (this.#killed()) return;
    const atomics = this.#atomics;
    const pending = this.#pending;
    // Taken and published as pending in one expression, with no call in
    // between: a host ended here leaves no ticket the orchestrator, which
    // reads the slot once the host's writers stand still, cannot see.
    const ticket =
      Atomics.store(atomics, pending, Atomics.add(atomics, TICKET, 1) + 1) - 1;
    const slot = queueSlot(ticket, this.#writers);
    let yielded = false;
    for (;;) {
      // Read the slot before SERVING: a release in between changes the slot,
      // so the wait below returns at once instead of missing it.
      const seen = Atomics.load(atomics, slot);
      if (Atomics.load(atomics, SERVING) === ticket) break;
      if (this.#killed()) return;
      if (this.#stopped()) {
        Atomics.store(atomics, pending, 0);
        this.#requested = false;
        const error = new StrategyLockError(
          "run stopped while waiting in the queue",
        );
        for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
        return;
      }
      if (!yielded) {
        // Before deciding how to wait, let the writer that passed the turn
        // and writers starting together queue up: whether all of this
        // host's writers wait decides it.
        yielded = true;
        await undefined;
        continue;
      }
      if (this.#waiting.length >= this.#active) {
        // No writer of this host can run before this turn comes.
        this.#blockedSlices++;
        const woke = Atomics.wait(atomics, slot, seen, BLOCK_SLICE_MS);
        if (woke === "timed-out") await nextMacrotask();
        continue;
      }
      const wait = Atomics.waitAsync(atomics, slot, seen, 1000);
      if (wait.async) await wait.value;
    }
    // Ended while waiting: the orchestrator takes this turn for the host.
    if (this.#killed()) return;
    this.#requested = false;
    this.#holding = true;
    Atomics.store(atomics, HOLDER, this.#holder);
    Atomics.store(atomics, pending, 0);
    // The writers waiting now get one turn each; those that come back
    // wait for the host's next turn.
    this.#budget = this.#waiting.length;
    this.#serveNext();
  }
}

/** How often a wait for a dead host's turn looks whether the run stopped. */
const DEAD_TICKET_LOOK_MS = 50;

/**
 * Hands the turn to the next ticket if host `holder - 1` still holds it.
 * Exactly one caller wins for each turn: the host itself, or the
 * orchestrator for a host that died holding it.
 */
function passTurn(atomics: Int32Array, writers: number, holder: number): void {
  if (Atomics.compareExchange(atomics, HOLDER, holder, 0) !== holder) return;
  const next = Atomics.add(atomics, SERVING, 1) + 1;
  const slot = queueSlot(next, writers);
  Atomics.add(atomics, slot, 1);
  Atomics.notify(atomics, slot);
}

/**
 * For the orchestrator: passes on the turn of host `hostId` if it ended
 * holding it (killed or crashed in a writer's turn), so the other hosts'
 * writers are not left waiting for a turn that would never come back.
 */
export function releaseDeadHost(
  atomics: Int32Array,
  writers: number,
  hostId: number,
): void {
  passTurn(atomics, writers, hostId + 1);
}

/**
 * For the orchestrator, once host `hostId` has ended and stands still: if it
 * ended waiting for a turn, takes that turn for it when it comes and passes
 * it on. Resolves then, or when the run stops.
 */
export async function releaseDeadTicket(
  atomics: Int32Array,
  writers: number,
  hostId: number,
): Promise<void> {
  const pending = Atomics.load(atomics, pendingSlot(hostId, writers));
  if (pending === 0) return;
  const ticket = pending - 1;
  const slot = queueSlot(ticket, writers);
  for (;;) {
    const seen = Atomics.load(atomics, slot);
    const serving = Atomics.load(atomics, SERVING);
    if (serving === ticket) break;
    // Passed already (the host took it as it died, and passed it), or the
    // run is over.
    if (serving - ticket > 0 || Atomics.load(atomics, STOP) !== 0) return;
    const wait = Atomics.waitAsync(atomics, slot, seen, DEAD_TICKET_LOOK_MS);
    if (wait.async) await wait.value;
  }
  // Served now, and nobody else takes a dead host's turn: hold it for the
  // host, and pass it on.
  Atomics.compareExchange(atomics, HOLDER, 0, hostId + 1);
  Atomics.store(atomics, pendingSlot(hostId, writers), 0);
  passTurn(atomics, writers, hostId + 1);
}
