/**
 * Subprocess entry of a writer host (`mode: "process"`): reads its plan slice
 * from stdin, shares integers through a file, waits at a file-lock barrier,
 * and writes every message to stdout as a frame. Not imported directly: the
 * orchestrator runs it with `Deno.execPath()`.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { runHost } from "./_host.ts";
import {
  frame,
  FrameReader,
  type HostInit,
  type HostMessage,
} from "./_protocol.ts";
import { FileInts } from "./_memory.ts";

function send(message: HostMessage): void {
  const bytes = frame(serialize(message));
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/**
 * Reads the plan from stdin, then keeps reading: the orchestrator holds
 * stdin open for as long as it lives, so its end (EOF) means it is gone and
 * `onGone` runs at once, whatever the host is waiting for.
 */
async function readInit(onGone: () => void): Promise<HostInit> {
  const frames = new FrameReader();
  const reader = Deno.stdin.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const [first] = frames.push(value);
    if (first === undefined) continue;
    (async () => {
      while (!(await reader.read()).done) {
        // Nothing more is sent; only the end matters.
      }
      onGone();
    })();
    return deserialize(first) as HostInit;
  }
  throw new Error("dbhammer host: stdin closed before the plan arrived");
}

if (import.meta.main) {
  // Orphaned, a host stops between statements and commits nothing more:
  // its orchestrator is gone (killed, say), and nobody would record it.
  const parent = Deno.ppid;
  const gone = (): never => Deno.exit(1);
  const init = await readInit(gone);
  if (init.sharedPath === null || init.barrierPath === null) {
    throw new Error(
      "dbhammer host: process mode needs a shared file and a barrier",
    );
  }
  const shared = FileInts.open(init.sharedPath);
  const barrierPath = init.barrierPath;
  try {
    await runHost(init, {
      send,
      shared,
      atomics: null,
      async waitForStart(): Promise<boolean> {
        // The orchestrator holds this file's exclusive lock until the start:
        // every host's shared lock is granted at the same instant.
        const barrier = await Deno.open(barrierPath, { read: true });
        try {
          await barrier.lock(false);
          return true;
        } finally {
          barrier.close();
        }
      },
      // Reparented once its orchestrator died: a cheap, synchronous check.
      orphaned: () => Deno.ppid !== parent,
      halt: () => Promise.resolve(gone()),
    });
  } finally {
    shared.close();
  }
  // Done: stdin's reader must not keep the process alive.
  Deno.exit(0);
}
