// Private: starting, talking to and stopping writer hosts, as Workers or as
// subprocesses, behind one small interface.
import { deserialize, serialize } from "node:v8";
import {
  frame,
  FrameReader,
  type HostInit,
  type HostMessage,
} from "../host/_protocol.ts";

/** A started host. */
export interface HostHandle {
  /** Sends the host its plan slice. */
  start(init: HostInit): void;
  /** Stops the host at once (`terminate()` / SIGKILL). Safe to call twice. */
  kill(): void;
  /** Resolves once the host is gone: process exited, streams closed. */
  readonly closed: Promise<void>;
}

/** What a host reports back. */
export interface HostEvents {
  /** A message from the host. */
  message(message: HostMessage): void;
  /** The host died by itself (an uncaught error, an exit). */
  failure(reason: string): void;
}

const live = new Set<HostHandle>();
/**
 * Terminated Workers whose thread is stuck in a synchronous call, where
 * `terminate()` cannot stop it: each is alive while its check says so.
 */
const stuck = new Set<() => boolean>();

/** How many hosts are alive, across all runs. */
export function liveHostCount(): number {
  for (const stillStuck of stuck) {
    if (!stillStuck()) stuck.delete(stillStuck);
  }
  return live.size + stuck.size;
}

/**
 * Counts a terminated Worker as alive for as long as `stillStuck()` says
 * its thread has not returned from the synchronous call it was in.
 */
export function countWhileStuck(stillStuck: () => boolean): void {
  stuck.add(stillStuck);
}

const WORKER_URL = new URL("../host/worker.ts", import.meta.url);
const PROCESS_URL = new URL("../host/process.ts", import.meta.url);

/**
 * Resolves once a host Worker of this process has loaded its module. Under
 * `deno test` each Worker type-checks its module as it loads, all of them
 * at once on a fresh cache; the first one's check is cached, so the others
 * start after it and print no check of their own.
 */
let firstLoaded: Promise<void> | null = null;
let loaded = false;

function startWorker(
  id: number,
  events: HostEvents,
  onLoaded?: () => void,
): Worker {
  const worker = new Worker(WORKER_URL, {
    type: "module",
    name: `dbhammer-host-${id}`,
  });
  worker.addEventListener("message", (event: MessageEvent<HostMessage>) => {
    if (event.data?.type === "loaded") onLoaded?.();
    else events.message(event.data);
  });
  const onError = (event: Event): void => {
    event.preventDefault();
    onLoaded?.();
    events.failure(
      event instanceof ErrorEvent ? event.message : "message could not be read",
    );
  };
  worker.addEventListener("error", onError);
  worker.addEventListener("messageerror", onError);
  return worker;
}

/** Starts a host in a Worker. */
export function spawnWorkerHost(id: number, events: HostEvents): HostHandle {
  let worker: Worker | null = null;
  let init: HostInit | null = null;
  let killed = false;
  const create = (onLoaded?: () => void): void => {
    if (killed) return;
    worker = startWorker(id, events, onLoaded);
    if (init !== null) worker.postMessage(init);
  };
  // The first Worker opens the gate once it has loaded, failed or been
  // killed: the others never wait for a Worker that will not load.
  let openGate: (() => void) | undefined;
  if (loaded) create();
  else if (firstLoaded === null) {
    firstLoaded = new Promise<void>((resolve) => {
      openGate = () => {
        loaded = true;
        resolve();
      };
    });
    create(openGate);
  } else firstLoaded.then(() => create());
  const handle: HostHandle = {
    start: (message) => {
      init = message;
      worker?.postMessage(message);
    },
    kill: () => {
      killed = true;
      openGate?.();
      worker?.terminate();
      live.delete(handle);
    },
    closed: Promise.resolve(),
  };
  live.add(handle);
  return handle;
}

/**
 * A host process reads and writes the database; it may also use what this
 * process was granted among what drivers need (a native add-on wants ffi,
 * env and sys).
 */
function childPermissions(): string[] {
  const flags = ["--allow-read", "--allow-write"];
  for (const name of ["ffi", "env", "sys"] as const) {
    if (Deno.permissions.querySync({ name }).state === "granted") {
      flags.push(`--allow-${name}`);
    }
  }
  return flags;
}

/**
 * Whether host processes start under `setpriv --pdeathsig KILL` (Linux,
 * util-linux): the kernel kills them the moment their orchestrator dies,
 * even inside a synchronous call. Found out at the first spawn.
 */
let pdeathsig = Deno.build.os === "linux";

/**
 * Spawns a host process. Where it can, under `setpriv --pdeathsig`; it also
 * watches its stdin, which this process holds open, and its parent pid.
 */
function spawnHostProcess(): Deno.ChildProcess {
  const deno = [
    "run",
    "--quiet",
    ...childPermissions(),
    PROCESS_URL.href,
  ];
  const options = {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  } as const;
  if (pdeathsig) {
    try {
      return new Deno.Command("setpriv", {
        ...options,
        args: ["--pdeathsig", "KILL", Deno.execPath(), ...deno],
      }).spawn();
    } catch {
      // No setpriv, or no permission to run it: the host watches alone.
      pdeathsig = false;
    }
  }
  return new Deno.Command(Deno.execPath(), { ...options, args: deno })
    .spawn();
}

/** Starts a host in a subprocess running `host_process.ts`. */
export function spawnProcessHost(id: number, events: HostEvents): HostHandle {
  const child = spawnHostProcess();
  // Held open while the host lives: its end tells the host this process
  // is gone.
  const stdin = child.stdin.getWriter();
  const closeStdin = (): void => {
    stdin.close().catch(() => {
      // Already closed, or the host is gone.
    });
  };
  let ended = false;
  let done = false;
  let stdinDone: Promise<void> = Promise.resolve();
  const readStdout = (async () => {
    const reader = new FrameReader();
    for await (const chunk of child.stdout) {
      for (const payload of reader.push(chunk)) {
        const message = deserialize(payload) as HostMessage;
        if (message.type === "done") done = true;
        events.message(message);
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  let forget = (): void => {};
  const closed = (async () => {
    const status = await child.status;
    ended = true;
    forget();
    closeStdin();
    await Promise.allSettled([readStdout, stdinDone]);
    const text = (await stderr).trim();
    // Exit code 0 before "done" is a crash too: code in the host exited.
    if (!status.success || !done) {
      // Deno's own line for an uncaught error, else the last line printed.
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      const detail = lines.find((l) => l.startsWith("error: ")) ?? lines.at(-1);
      events.failure(
        `host process ${id} exited with ${
          status.signal ? `signal ${status.signal}` : `code ${status.code}`
        }${status.success ? " before it was done" : ""}${
          detail ? `: ${detail}` : ""
        }`,
      );
    }
  })();
  const handle: HostHandle = {
    start: (init) => {
      stdinDone = stdin.write(frame(serialize(init))).catch(() => {
        // The host died first; its exit is reported by `closed`.
      });
    },
    kill: () => {
      live.delete(handle);
      closeStdin();
      if (ended) return;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    },
    closed,
  };
  forget = () => live.delete(handle);
  live.add(handle);
  return handle;
}
