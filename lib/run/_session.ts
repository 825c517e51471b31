// Private: a run while its hosts work: what their messages mean (the start
// barrier, outcomes, crashes, the end) and how it ended, decided once.
import {
  COMMITS,
  LOCK_ERRORS,
  now,
  type SharedInts,
  UNCOMMITTED,
} from "../host/_memory.ts";
import {
  type OperationOf,
  OutcomeTable,
  type OutcomeTableShape,
  outcomeTableShape,
  unpackOutcomes,
} from "../host/_outcome_codec.ts";
import type { HostMessage, WriterAssignment } from "../host/_protocol.ts";
import {
  type Outcome,
  PROGRESS_INTERVAL_MS,
  type RunProgress,
  type RunSettings,
} from "../plan.ts";
import type { CollectSources } from "./_collect.ts";
import type { Coordination } from "./_coordination.ts";
import type { HostPool, HostState } from "./_host_pool.ts";
import { setupFailure } from "./_prepare.ts";
import type { StopSignal } from "./_stop_signal.ts";

/** How a run's hosts stopped working. */
export type RunEnd =
  | { kind: "done" }
  | { kind: "failed"; error: Error }
  | { kind: "stopped"; byDeadline: boolean };

/** What the hosts sent: outcomes, their messages' texts, the start time. */
export class RunRecord implements CollectSources {
  readonly outcomes: Outcome[] = [];
  readonly assignments: WriterAssignment[];
  readonly shared: SharedInts;
  /** Worker mode: outcomes wait in shared memory until the hosts have ended. */
  readonly table: OutcomeTable | null;
  readonly tableShape: OutcomeTableShape | null;
  /** When the start barrier opened (ms since the epoch); 0 before. */
  startedAt = 0;
  sqliteVersion: string;
  readonly #threads: number;
  /** By host: the texts of the messages in its rows of the table. */
  readonly #texts = new Map<number, Map<number, string>>();

  constructor(
    settings: RunSettings,
    assignments: WriterAssignment[],
    shared: SharedInts,
    sqliteVersion: string,
  ) {
    this.assignments = assignments;
    this.shared = shared;
    this.sqliteVersion = sqliteVersion;
    this.#threads = settings.threads;
    this.tableShape = settings.mode === "worker"
      ? outcomeTableShape(assignments)
      : null;
    this.table = this.tableShape === null
      ? null
      : new OutcomeTable(this.tableShape);
  }

  readonly operationOf: OperationOf = (writer, seq) =>
    this.assignments[writer].operations[seq];

  /** Adds an outcome, its times from the hosts' clock made run-relative. */
  add(o: Outcome): void {
    const at = this.startedAt;
    o.startMs = o.startMs === null ? null : o.startMs - at;
    o.endMs = o.endMs === null ? null : o.endMs - at;
    o.lockAtMs = o.lockAtMs === null ? null : o.lockAtMs - at;
    o.commitAtMs = o.commitAtMs === null ? null : o.commitAtMs - at;
    this.outcomes.push(o);
  }

  /** Keeps a message text a host sent for its rows of the table. */
  addText(host: number, id: number, text: string): void {
    let map = this.#texts.get(host);
    if (map === undefined) this.#texts.set(host, map = new Map());
    map.set(id, text);
  }

  readonly textOf = (writer: number, id: number): string =>
    this.#texts.get(writer % this.#threads)?.get(id) ??
      "(the text of this error was lost with its host)";
}

/**
 * Reads the hosts' messages until the run ends: every host done, one
 * failed to set up, or the stop signal aborted. `ended` resolves once,
 * with the first; what comes after is ignored, but for message texts.
 */
export class RunSession {
  readonly record: RunRecord;
  readonly ended: Promise<RunEnd>;
  readonly #settings: RunSettings;
  readonly #pool: HostPool;
  readonly #coordination: Coordination;
  readonly #onProgress: ((progress: RunProgress) => void) | undefined;
  readonly #intended: number;
  #ready = 0;
  #progress: ReturnType<typeof setInterval> | undefined;
  #end: RunEnd | null = null;
  #resolve!: (end: RunEnd) => void;

  constructor(
    settings: RunSettings,
    pool: HostPool,
    coordination: Coordination,
    record: RunRecord,
    onProgress?: (progress: RunProgress) => void,
  ) {
    this.#settings = settings;
    this.#pool = pool;
    this.#coordination = coordination;
    this.record = record;
    this.#onProgress = onProgress;
    this.#intended = record.assignments.reduce(
      (n, w) => n + w.operations.length,
      0,
    );
    this.ended = new Promise((resolve) => this.#resolve = resolve);
  }

  /** Whether the end is decided. */
  get settled(): boolean {
    return this.#end !== null;
  }

  /** Spawns the hosts; ends the run when `stop` aborts. */
  start(stop: StopSignal): void {
    const onStop = (): void => {
      this.#finish({ kind: "stopped", byDeadline: stop.byDeadline });
    };
    if (stop.signal.aborted) return onStop();
    stop.signal.addEventListener("abort", onStop, { once: true });
    this.ended.then(() => stop.signal.removeEventListener("abort", onStop));
    try {
      this.#pool.start(
        this.record.assignments,
        this.#coordination,
        this.record.tableShape,
        {
          message: (host, message) => this.#onMessage(host, message),
          failure: (host, reason) => this.#onFailure(host, reason),
        },
      );
    } catch (error) {
      // E.g. no permission to start Workers.
      this.#finish({
        kind: "failed",
        error: new Error(
          `Cannot start writer hosts: ${(error as Error).message}`,
          { cause: error },
        ),
      });
    }
  }

  /** Decides the end, once: whether this call did. */
  #finish(end: RunEnd): boolean {
    if (this.#end !== null) return false;
    this.#end = end;
    clearInterval(this.#progress);
    this.#resolve(end);
    return true;
  }

  #fail(error: Error): void {
    this.#finish({ kind: "failed", error });
  }

  /** Ends the run as done once no host is left working. */
  #settleIfDone(): void {
    if (this.#end !== null || !this.#pool.allEnded) return;
    // The last progress is the writers' final count.
    if (this.#progress !== undefined) this.#reportProgress();
    this.#finish({ kind: "done" });
  }

  #reportProgress(): void {
    const { shared } = this.record;
    try {
      this.#onProgress?.({
        elapsedMs: now() - this.record.startedAt,
        committed: shared.load(COMMITS) - shared.load(UNCOMMITTED),
        intended: this.#intended,
        lockErrors: shared.load(LOCK_ERRORS),
      });
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #onMessage(host: HostState, message: HostMessage): void {
    // A text can arrive while the run settles; the rows are read after.
    if (message.type === "text") {
      this.record.addText(host.id, message.id, message.text);
      return;
    }
    if (this.#end !== null) return;
    const settings = this.#settings;
    switch (message.type) {
      case "ready":
        this.record.sqliteVersion = message.sqliteVersion;
        host.status = "running";
        if (++this.#ready === this.#pool.hosts.length) this.#open();
        break;
      case "setup-failed":
        this.#fail(setupFailure(settings, host.id, message.error));
        break;
      case "outcomes":
        for (
          const o of unpackOutcomes(message.outcomes, this.record.operationOf)
        ) this.record.add(o);
        break;
      case "crash-point":
        host.crashPoint = true;
        if (settings.crash?.how === "kill") {
          this.#pool.stop(
            host,
            "crashed",
            `killed by crash injection: writer ${message.writer} after ${settings.crash.afterOps} operations${
              settings.crash.inTransaction ? ", inside a transaction" : ""
            }`,
          );
          this.#settleIfDone();
        }
        break;
      case "exit":
        this.#onFailure(
          host,
          `code in the host called Deno.exit(${message.code})`,
        );
        break;
      case "uncaught":
        this.#onFailure(host, message.message);
        break;
      case "done":
        this.#pool.stop(host, "done", null);
        this.#settleIfDone();
        break;
    }
  }

  /** Every host is ready: the barrier opens and the clock starts. */
  #open(): void {
    this.record.startedAt = now();
    this.#coordination.open();
    if (this.#onProgress !== undefined) {
      this.#progress = setInterval(
        () => this.#reportProgress(),
        PROGRESS_INTERVAL_MS,
      );
    }
  }

  #onFailure(host: HostState, reason: string): void {
    if (this.#end !== null) return;
    if (host.status === "starting") {
      this.#fail(
        new Error(`Writer host ${host.id} failed before the start: ${reason}`),
      );
      return;
    }
    this.#pool.stop(host, "crashed", reason);
    this.#settleIfDone();
  }
}
