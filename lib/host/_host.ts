// Private: what a writer host does, in a Worker or in a subprocess: open one
// connection per writer with the run's settings, report ready, wait for the
// start, run the writers, record every outcome, close the connections.
import { classifyError } from "../sqlite/_classify.ts";
import { OutcomePacker, OutcomeTable } from "./_outcome_codec.ts";
import {
  type HostInit,
  type HostMessage,
  hostOperations,
} from "./_protocol.ts";
import { HostQueue } from "./_queue.ts";
import {
  HEARTBEAT_MS,
  heartbeatSlot,
  killedSlot,
  now,
  setProgress,
  type SharedInts,
  STOP,
  WriterState,
} from "./_memory.ts";
import {
  type Connection,
  HELPER_BUSY_TIMEOUT_MS,
  journalModeOf,
  openConnection,
  setBusyTimeout,
  sqliteVersion,
} from "../sqlite/_connection.ts";
import type { TaskContext } from "../plan.ts";
import type { Driver } from "../driver.ts";
import { loadDriver } from "../sqlite/_load.ts";
import { runWriter } from "./_writer.ts";
import {
  prepareWriter,
  taskFunction,
  type WriterOutcome,
  type WriterStatements,
} from "./_writer_context.ts";

/** Most outcomes in one message. */
const BATCH_SIZE = 256;
/** Longest an outcome waits in a batch, in milliseconds. */
const FLUSH_MS = 20;

/** How a host talks to the orchestrator and shares its integers. */
export interface HostIO {
  /** Sends a message to the orchestrator. */
  send(message: HostMessage): void;
  /** The shared integers. */
  shared: SharedInts;
  /** Shared memory for the queue strategy (Worker mode), else `null`. */
  atomics: Int32Array | null;
  /** Resolves `true` at the start, `false` if the start never came. */
  waitForStart(): Promise<boolean>;
  /** A process host: whether its orchestrator is gone (checked often). */
  orphaned?(): boolean;
  /** A process host: ends it at once, committing nothing more. */
  halt?(): Promise<never>;
}

/** Runs a host to its end. Errors outside the writers are thrown. */
export async function runHost(init: HostInit, io: HostIO): Promise<void> {
  const { settings } = init;
  const { shared } = io;
  // Worker mode: while the event loop turns, the heartbeat moves.
  const beat = io.atomics === null ? undefined : setInterval(() => {
    shared.add(heartbeatSlot(init.hostId, settings.writers), 1);
  }, HEARTBEAT_MS);
  try {
    await runHostBeating(init, io);
  } finally {
    clearInterval(beat);
  }
}

async function runHostBeating(init: HostInit, io: HostIO): Promise<void> {
  const { settings } = init;
  const { send, shared } = io;
  const connections: Connection[] = [];
  const statements: WriterStatements[] = [];
  let sqlite = { version: "", journalMode: "" };
  let task: ((ctx: TaskContext) => unknown) | undefined;
  let driver: Driver | undefined;
  try {
    driver = await loadDriver(settings.driver);
    if (settings.workload.kind === "task") {
      task = taskFunction(
        await import(settings.workload.module),
        settings.workload.module,
      );
    }
    for (const writer of init.writers) {
      // Setting up waits for other connections' locks (another run's, say)
      // at least as long as dbhammer's helpers; the run's own timeout is
      // set once the connection is ready.
      const connection = openConnection(settings.path, {
        busyTimeoutMs: Math.max(settings.busyTimeoutMs, HELPER_BUSY_TIMEOUT_MS),
        journalMode: settings.journalMode ?? undefined,
        synchronous: settings.synchronous,
      }, driver);
      connections.push(connection);
      statements.push(prepareWriter(connection, settings));
      setProgress(shared, writer.id, WriterState.ready, 0);
    }
    sqlite = {
      version: sqliteVersion(connections[0]),
      journalMode: journalModeOf(connections[0]),
    };
    for (const connection of connections) {
      // Writers sharing a thread must not block it: they wait asynchronously.
      setBusyTimeout(
        connection,
        settings.busyWait === "async" ? 0 : settings.busyTimeoutMs,
      );
    }
  } catch (error) {
    for (const connection of connections) connection.close();
    send({
      type: "setup-failed",
      hostId: init.hostId,
      error: (driver?.classify ?? classifyError)(error),
    });
    return;
  }
  // Before the start, so the run does not pay for it.
  const operations = init.writers.map((writer) =>
    hostOperations(writer, settings.rowsPerTransaction)
  );
  send({
    type: "ready",
    hostId: init.hostId,
    sqliteVersion: sqlite.version,
    journalMode: sqlite.journalMode,
  });
  if (!await io.waitForStart()) {
    for (const connection of connections) connection.close();
    return;
  }
  // In Worker mode each outcome goes to its row of the shared outcome table,
  // and only the text of a message never sent before travels as a message.
  // Otherwise outcomes go in batches: one message per operation would cost
  // more than a fast commit. A batch leaves within FLUSH_MS, at BATCH_SIZE,
  // before a crash point and at the end; an operation whose outcome never
  // arrives is settled against the database as unknown.
  const table = init.outcomeTable === null
    ? null
    : new OutcomeTable(init.outcomeTable);
  const texts = new Map<string, number>();
  const textId = (text: string | null): number => {
    if (text === null) return -1;
    let id = texts.get(text);
    if (id === undefined) {
      id = texts.size;
      texts.set(text, id);
      send({ type: "text", hostId: init.hostId, id, text });
    }
    return id;
  };
  const packer = new OutcomePacker();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (packer.size === 0) return;
    send({ type: "outcomes", outcomes: packer.take() });
  };
  let batchStart = 0;
  const record = table !== null
    ? (outcome: WriterOutcome): void =>
      table.write(outcome, textId(outcome.message))
    : (outcome: WriterOutcome): void => {
      // The outcome's end is the time now: no second reading of the clock.
      const time = outcome.endMs ?? now();
      if (packer.size === 0) batchStart = time;
      packer.add(outcome);
      // Checked here too: writers that never wait never let a timer run.
      if (packer.size >= BATCH_SIZE || time - batchStart >= FLUSH_MS) flush();
      else timer ??= setTimeout(flush, FLUSH_MS);
    };
  // A Worker reads the slot the orchestrator sets before it ends it (a
  // process is ended with SIGKILL, which stops it); a process asks whether
  // its orchestrator is gone. Read before every operation, COMMIT and
  // hand-off: the slot is found once.
  const killedAt = killedSlot(init.hostId, settings.writers);
  const killed = io.atomics === null
    ? io.orphaned
    : (): boolean => shared.load(killedAt) !== 0;
  const queue = settings.strategy.queue && io.atomics !== null
    ? new HostQueue(
      io.atomics,
      settings.writers,
      init.hostId,
      () => shared.load(STOP) !== 0,
      { killed, hostWriters: init.writers.length },
    )
    : null;
  try {
    await Promise.all(init.writers.map((writer, i) =>
      runWriter({
        id: writer.id,
        settings,
        connection: connections[i],
        statements: statements[i],
        operations: operations[i],
        shared,
        queue,
        killed,
        halt: io.halt,
        record,
        crash: () => {
          flush();
          return crashPoint(send, writer.id, settings.crash?.how ?? "kill");
        },
        task,
        classify: driver.classify,
      })
    ));
  } finally {
    flush();
    for (const connection of connections) connection.close();
  }
  send({ type: "done", hostId: init.hostId });
}

function crashPoint(
  send: (message: HostMessage) => void,
  writer: number,
  how: "kill" | "throw",
): Promise<never> {
  send({ type: "crash-point", writer });
  if (how === "throw") {
    // An uncaught error, as a bug in a writer would raise: the host dies.
    setTimeout(() => {
      throw new Error(`dbhammer crash injection: writer ${writer} threw`);
    });
  }
  // Wait, idle, to be killed: an idle Worker or process stops at once.
  return new Promise<never>(() => {
    setInterval(() => {}, 60_000);
  });
}
