/// <reference lib="deno.worker" />
/**
 * Worker entry of a writer host: opens one connection per writer with the
 * run's settings, waits at the start barrier, runs its writers and sends
 * every outcome back as plain data. Not imported directly: the orchestrator
 * spawns it.
 *
 * @module
 */
import { classifyError } from "./_errors.ts";
import type { HostInit, HostMessage } from "./_protocol.ts";
import { GO, setProgress, WriterState } from "./_shared.ts";
import {
  type Connection,
  journalModeOf,
  openConnection,
  sqliteVersion,
} from "./_sqlite.ts";
import type { TaskContext } from "./plan.ts";
import { runWriter, taskFunction } from "./writer.ts";

function send(message: HostMessage): void {
  self.postMessage(message);
}

async function run(init: HostInit): Promise<void> {
  const { settings } = init;
  const shared = new Int32Array(init.shared);
  const connections: Connection[] = [];
  let task: ((ctx: TaskContext) => unknown) | undefined;
  try {
    if (settings.task !== null) {
      task = taskFunction(
        await import(settings.task.module),
        settings.task.module,
      );
    }
    for (const writer of init.writers) {
      connections.push(openConnection(settings.path, {
        // Writers sharing a thread must not block it: they wait asynchronously.
        busyTimeoutMs: settings.busyWait === "async"
          ? 0
          : settings.busyTimeoutMs,
        journalMode: settings.journalMode ?? undefined,
        synchronous: settings.synchronous,
      }));
      setProgress(shared, writer.id, WriterState.ready, 0);
    }
  } catch (error) {
    for (const connection of connections) connection.close();
    send({
      type: "setup-failed",
      hostId: init.hostId,
      error: classifyError(error),
    });
    return;
  }
  send({
    type: "ready",
    hostId: init.hostId,
    sqliteVersion: sqliteVersion(connections[0]),
    journalMode: journalModeOf(connections[0]),
  });
  const wait = Atomics.waitAsync(shared, GO, 0, settings.deadlineMs);
  if ((wait.async ? await wait.value : wait.value) === "timed-out") {
    for (const connection of connections) connection.close();
    return;
  }
  try {
    await Promise.all(init.writers.map((writer, i) =>
      runWriter({
        id: writer.id,
        settings,
        connection: connections[i],
        operations: writer.operations,
        shared,
        record: (outcome) => send({ type: "outcome", outcome }),
        crash: () => crashPoint(writer.id, settings.crash?.how ?? "kill"),
        task,
      })
    ));
  } finally {
    for (const connection of connections) connection.close();
  }
  send({ type: "done", hostId: init.hostId });
}

function crashPoint(writer: number, how: "kill" | "throw"): Promise<never> {
  send({ type: "crash-point", writer });
  if (how === "throw") {
    // An uncaught error, as a bug in a writer would raise: the Worker dies.
    setTimeout(() => {
      throw new Error(`dbhammer crash injection: writer ${writer} threw`);
    });
  }
  // Wait, idle, to be terminated: an idle Worker stops at once.
  return new Promise<never>(() => {
    setInterval(() => {}, 60_000);
  });
}

self.onmessage = (event: MessageEvent<HostInit>) => {
  if (event.data?.type !== "init") return;
  run(event.data).catch((error) => {
    // Uncaught on purpose: the orchestrator sees the Worker's error event.
    setTimeout(() => {
      throw error;
    });
  });
};
