// Private: `dbhammer clean`.
import { removeDirs, staleTempDirs, systemTempDir } from "../_temp_dirs.ts";
import { help } from "./_flags.ts";
import { parse } from "./_parse.ts";

export function cleanCommand(args: string[]): number {
  const { values } = parse("clean", args);
  if (values.help) {
    console.log(help("clean"));
    return 0;
  }
  const dir = systemTempDir();
  const stale = staleTempDirs(dir);
  const done = values["dry-run"] ? stale : removeDirs(stale);
  const verb = values["dry-run"] ? "would remove" : "removed";
  for (const { path, pid } of done) {
    console.log(`${verb} ${path} (its process ${pid} is gone)`);
  }
  console.log(
    `${verb} ${done.length} stale temp dir${
      done.length === 1 ? "" : "s"
    } of dbhammer in ${dir}`,
  );
  return 0;
}
