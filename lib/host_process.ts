/**
 * Subprocess entry of a writer host (`mode: "process"`): reads its plan slice
 * from stdin, shares integers through a file, waits at a file-lock barrier,
 * and writes every message to stdout as a frame. Not imported directly: the
 * orchestrator runs it with `Deno.execPath()`.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { runHost } from "./_host_core.ts";
import {
  frame,
  FrameReader,
  type HostInit,
  type HostMessage,
} from "./_protocol.ts";
import { FileInts } from "./_shared.ts";

function send(message: HostMessage): void {
  const bytes = frame(serialize(message));
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

async function readInit(): Promise<HostInit> {
  const reader = new FrameReader();
  for await (const chunk of Deno.stdin.readable) {
    const frames = reader.push(chunk);
    if (frames.length > 0) return deserialize(frames[0]) as HostInit;
  }
  throw new Error("dbhammer host: stdin closed before the plan arrived");
}

if (import.meta.main) {
  const init = await readInit();
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
    });
  } finally {
    shared.close();
  }
}
