// Private: a run's writer hosts, from spawn to the last one gone. The pool
// owns their state; the run decides what a message means.
import { AtomicInts, killedSlot, type SharedInts } from "../host/_memory.ts";
import type { HostMessage, WriterAssignment } from "../host/_protocol.ts";
import { hostWriter } from "../host/_protocol.ts";
import type { OutcomeTableShape } from "../host/_outcome_codec.ts";
import { releaseDeadHost, releaseDeadTicket } from "../host/_queue.ts";
import type { RunSettings } from "../plan.ts";
import type { HostStatus, HostSummary } from "../report/report.ts";
import type { Coordination } from "./_coordination.ts";
import { sqliteWaiters, standStill } from "./_quiesce.ts";
import {
  type HostHandle,
  spawnProcessHost,
  spawnWorkerHost,
} from "./_spawn.ts";

/** One host of the pool. */
export interface HostState {
  id: number;
  handle: HostHandle;
  /** Its writers' ids. */
  writers: number[];
  status: HostStatus | "starting" | "running";
  error: string | null;
  /** Whether its writer reached the plan's crash point. */
  crashPoint: boolean;
}

/** What the pool tells the run of its hosts. */
export interface PoolEvents {
  /** A message from a host. */
  message(host: HostState, message: HostMessage): void;
  /** A host died by itself (an uncaught error, an exit). */
  failure(host: HostState, reason: string): void;
}

/** Whether a host has ended, one way or another. */
export const ended = (host: HostState): boolean =>
  host.status === "done" || host.status === "crashed" ||
  host.status === "stopped";

/**
 * A run's hosts: `start` spawns one per thread with its writers, `stop`
 * ends one, `closed` waits until every one is gone and its writers stand
 * still. Disposing kills what is left.
 */
export class HostPool implements AsyncDisposable {
  /** Every host, by id. */
  readonly hosts: HostState[] = [];
  /** The run's shared integers. */
  readonly shared: SharedInts;
  readonly #settings: RunSettings;
  /** Hand-offs of the queue for hosts that ended in it. */
  readonly #deadHosts: Promise<void>[] = [];

  readonly #spawn: typeof spawnWorkerHost;

  /** `spawn` replaces the mode's own spawner (tests watch the handles). */
  constructor(
    settings: RunSettings,
    shared: SharedInts,
    spawn?: typeof spawnWorkerHost,
  ) {
    this.#settings = settings;
    this.shared = shared;
    this.#spawn = spawn ??
      (settings.mode === "process" ? spawnProcessHost : spawnWorkerHost);
  }

  /**
   * Spawns the hosts, host `id` with the writers `w` where
   * `w % threads === id`, and sends each its plan slice.
   */
  start(
    assignments: WriterAssignment[],
    coordination: Coordination,
    outcomeTable: OutcomeTableShape | null,
    events: PoolEvents,
  ): void {
    const settings = this.#settings;
    for (let id = 0; id < settings.threads; id++) {
      const writers = assignments.filter((w) => w.id % settings.threads === id);
      const host: HostState = {
        id,
        writers: writers.map((w) => w.id),
        status: "starting",
        error: null,
        crashPoint: false,
        handle: null as unknown as HostHandle,
      };
      host.handle = this.#spawn(id, {
        message: (message) => events.message(host, message),
        failure: (reason) => events.failure(host, reason),
      });
      this.hosts.push(host);
      host.handle.start({
        type: "init",
        hostId: id,
        settings,
        shared: coordination.buffer,
        sharedPath: coordination.sharedPath,
        barrierPath: coordination.barrierPath,
        outcomeTable,
        // Keys and fingerprints stay here: the host does not need them.
        writers: writers.map(hostWriter),
      });
    }
  }

  /** Hosts not ended yet. */
  get active(): HostState[] {
    return this.hosts.filter((h) => !ended(h));
  }

  /** Whether every host has ended. */
  get allEnded(): boolean {
    return this.hosts.every(ended);
  }

  /**
   * Ends `host` as `status`, once. A host that did not finish is marked
   * killed in shared memory before it is killed: a Worker's thread inside a
   * call when it is terminated goes on for a moment, and must see it has
   * ended.
   */
  stop(host: HostState, status: HostStatus, error: string | null): void {
    if (ended(host)) return;
    host.status = status;
    host.error = error;
    const shared = this.shared;
    const settings = this.#settings;
    if (status !== "done" && shared instanceof AtomicInts) {
      shared.store(killedSlot(host.id, settings.writers), 1);
    }
    host.handle.kill();
    // A host that ended in a writer's turn of the queue never passes it on,
    // nor the turn of the ticket it was waiting with: pass them for the host
    // once its handle is closed and its writers stand still (a Worker's
    // thread may finish the call it was in, and the transaction around it,
    // before it sees it has ended).
    if (
      settings.strategy.queue && shared instanceof AtomicInts &&
      status !== "done"
    ) {
      const { array } = shared;
      this.#deadHosts.push(host.handle.closed.then(async () => {
        await sqliteWaiters(settings, shared, host.writers);
        await standStill(shared, host.writers);
        releaseDeadHost(array, settings.writers, host.id);
        await releaseDeadTicket(array, settings.writers, host.id);
      }));
    }
  }

  /** Ends every host not ended yet as `status`. */
  stopAll(status: HostStatus, error: string | null): void {
    for (const host of this.hosts) this.stop(host, status, error);
  }

  /**
   * Resolves once every host is gone (Workers terminated, processes exited,
   * pipes closed) and no writer of a host that did not finish moves any
   * more: a terminated Worker's thread may run a few operations before it
   * stops, and only then does the shared progress say which ran.
   */
  async closed(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.handle.closed));
    await Promise.all(this.#deadHosts);
    const moving = this.hosts.filter((h) => h.status !== "done")
      .flatMap((h) => h.writers);
    if (moving.length === 0) return;
    await sqliteWaiters(this.#settings, this.shared, moving);
    await standStill(this.shared, moving);
  }

  /** The hosts as the report gives them. */
  summaries(): HostSummary[] {
    return this.hosts.map((h): HostSummary => ({
      host: h.id,
      writers: h.writers,
      status: ended(h) ? h.status as HostStatus : "stopped",
      ended: h.status === "done"
        ? "done"
        : h.status === "crashed"
        ? (h.crashPoint ? "crash-injection" : "crash")
        : "stopped",
      error: h.error,
    }));
  }

  /** Kills every host at once, as a process about to exit must. */
  kill(): void {
    for (const host of this.hosts) host.handle.kill();
  }

  /** Kills every host left and waits until they are gone. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill();
    await Promise.all(this.hosts.map((h) => h.handle.closed));
  }
}
