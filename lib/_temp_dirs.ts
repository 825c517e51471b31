// Private: the temp dirs dbhammer makes carry the pid of the process that
// owns them (`dbhammer-<pid>-…` for a fixture, `dbhammer-run-<pid>-…` for a
// process-mode run), so that ones left by a process that was killed can be
// found and removed later.
import { join } from "node:path";

/** The prefix of this process's fixture dirs. */
export function fixtureDirPrefix(): string {
  return `dbhammer-${Deno.pid}-`;
}

/** The prefix of this process's run dirs. */
export function runDirPrefix(): string {
  return `dbhammer-run-${Deno.pid}-`;
}

const OWNED = /^dbhammer-(?:run-)?(\d+)-/;

/** The system temp dir, as `Deno.makeTempDir` uses it. */
export function systemTempDir(): string {
  if (Deno.build.os === "windows") {
    return Deno.env.get("TEMP") ?? Deno.env.get("TMP") ?? "C:\\Windows\\Temp";
  }
  return Deno.env.get("TMPDIR") || "/tmp";
}

/**
 * Whether process `pid` is alive. Only Linux can tell without more
 * permissions (`/proc`); elsewhere every process counts as alive, so
 * nothing is removed.
 */
function alive(pid: number): boolean {
  if (pid === Deno.pid || Deno.build.os !== "linux") return true;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The state follows the command name in parentheses; Z is a zombie.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !==
      "Z";
  } catch {
    return false;
  }
}

/** A temp dir left behind by a dbhammer process that is gone. */
export interface StaleDir {
  /** Its path. */
  path: string;
  /** The pid of the process that made it. */
  pid: number;
}

/** The dbhammer temp dirs in `dir` whose owner process is gone. */
export function staleTempDirs(dir: string = systemTempDir()): StaleDir[] {
  const stale: StaleDir[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const owner = OWNED.exec(entry.name);
    if (!entry.isDirectory || owner === null) continue;
    const pid = Number(owner[1]);
    if (!alive(pid)) stale.push({ path: join(dir, entry.name), pid });
  }
  return stale;
}

/** Removes `dirs`; returns the ones removed. */
export function removeDirs(dirs: readonly StaleDir[]): StaleDir[] {
  const removed: StaleDir[] = [];
  for (const dir of dirs) {
    try {
      Deno.removeSync(dir.path, { recursive: true });
      removed.push(dir);
    } catch {
      // Gone meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

let swept = false;

/**
 * Once per process, before its first run: removes the temp dirs of
 * dbhammer processes that are gone (killed before they could). Best effort.
 */
export function sweepStaleTempDirs(): void {
  if (swept) return;
  swept = true;
  try {
    removeDirs(staleTempDirs());
  } catch {
    // No permission to read the temp dir, say: nothing to sweep.
  }
}
