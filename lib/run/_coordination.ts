// Private: the shared integers and the start barrier of one run: memory
// for Workers, files for processes.
import { join } from "node:path";
import {
  allocateShared,
  AtomicInts,
  FileInts,
  GO,
  type SharedInts,
  sharedLength,
} from "../host/_memory.ts";
import type { RunSettings } from "../plan.ts";
import { runDirPrefix } from "../_temp_dirs.ts";

/** Shared integers and the start barrier of one run. */
export interface Coordination {
  shared: SharedInts;
  /** Worker mode: the memory behind `shared`. */
  buffer: SharedArrayBuffer | null;
  /** Process mode: the files behind `shared` and the barrier. */
  sharedPath: string | null;
  barrierPath: string | null;
  /** Opens the barrier: every host starts at once. */
  open(): void;
  /** Removes what the run created. */
  dispose(): Promise<void>;
}

/** A run's files on disk (process mode): known as soon as they exist. */
export interface RunFiles {
  dir: string | null;
  removed: boolean;
}

/** Removes a run's files at once, for a process about to exit. */
export function removeRunFilesSync(files: RunFiles): void {
  if (files.dir === null || files.removed) return;
  files.removed = true;
  Deno.removeSync(files.dir, { recursive: true });
}

export async function coordinate(
  settings: RunSettings,
  files: RunFiles,
): Promise<Coordination> {
  if (settings.mode === "worker") {
    const buffer = allocateShared(settings.writers);
    const shared = new AtomicInts(buffer);
    return {
      shared,
      buffer,
      sharedPath: null,
      barrierPath: null,
      open(): void {
        shared.store(GO, 1);
        Atomics.notify(shared.array, GO);
      },
      dispose: () => Promise.resolve(),
    };
  }
  const dir = await Deno.makeTempDir({ prefix: runDirPrefix() });
  files.dir = dir;
  const sharedPath = join(dir, "shared");
  const barrierPath = join(dir, "barrier");
  const shared = FileInts.create(sharedPath, sharedLength(settings.writers));
  await Deno.writeFile(barrierPath, new Uint8Array());
  // Held exclusively until the start; each host waits for a shared lock.
  let barrier: Deno.FsFile | null = await Deno.open(barrierPath, {
    read: true,
    write: true,
  });
  barrier.lockSync(true);
  return {
    shared,
    buffer: null,
    sharedPath,
    barrierPath,
    open(): void {
      shared.store(GO, 1);
      barrier?.unlockSync();
    },
    async dispose(): Promise<void> {
      barrier?.close();
      barrier = null;
      shared.close();
      if (!files.removed) await Deno.remove(dir, { recursive: true });
      files.removed = true;
    },
  };
}
