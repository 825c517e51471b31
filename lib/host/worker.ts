/// <reference lib="deno.worker" />
/**
 * Worker entry of a writer host. Not imported directly: the orchestrator
 * spawns it. The work itself is in `_host_core.ts`, shared with process mode.
 *
 * @module
 */
import { runHost } from "./_host.ts";
import type { HostInit, HostMessage } from "./_protocol.ts";
import { AtomicInts, GO } from "./_memory.ts";

// A Worker that calls Deno.exit (a task's code may) ends silently: no error
// event, no message. Say so first, so the run reports the host as crashed
// instead of waiting for it until the deadline.
const exit = Deno.exit;
Object.defineProperty(Deno, "exit", {
  configurable: true,
  writable: true,
  value: (code = 0): never => {
    self.postMessage({ type: "exit", code } satisfies HostMessage);
    return exit(code);
  },
});

// An uncaught error (a bug in a task, crash injection's `throw`) ends this
// host and is reported by the orchestrator; Deno would print it to stderr
// as well if it reached the Worker's own error event unhandled.
function uncaught(message: string): void {
  self.postMessage({ type: "uncaught", message } satisfies HostMessage);
  self.close();
}
self.addEventListener("error", (event) => {
  event.preventDefault();
  uncaught(event.message);
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const reason = event.reason;
  uncaught(
    `Uncaught (in promise) ${
      reason instanceof Error
        ? `${reason.name}: ${reason.message}`
        : String(reason)
    }`,
  );
});

// Loaded (and, under deno test, type-checked): the other hosts may start.
self.postMessage({ type: "loaded" } satisfies HostMessage);

self.onmessage = (event: MessageEvent<HostInit>) => {
  const init = event.data;
  if (init?.type !== "init" || init.shared === null) return;
  const shared = new AtomicInts(init.shared);
  runHost(init, {
    send: (message) => self.postMessage(message),
    shared,
    atomics: shared.array,
    async waitForStart(): Promise<boolean> {
      const wait = Atomics.waitAsync(
        shared.array,
        GO,
        0,
        init.settings.deadlineMs,
      );
      return (wait.async ? await wait.value : wait.value) !== "timed-out";
    },
  }).catch((error) => {
    // Uncaught on purpose: the orchestrator sees the Worker's error event.
    setTimeout(() => {
      throw error;
    });
  });
};
