// Private: `dbhammer init`.
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { schemaTemplate, testTemplate } from "../_scaffold.ts";
import { help, selfSpecifier } from "./_flags.ts";
import { parse, UsageError } from "./_parse.ts";

export async function initCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("init", args);
  if (values.help) {
    console.log(help("init"));
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(
      `init takes one directory, got ${positionals.length}: ${
        positionals.join(" ")
      }`,
    );
  }
  const dir = resolve(positionals[0] ?? ".");
  if (!existsSync(dir)) {
    // As `deno init` does: a new project's folder is made, but not inside
    // a file.
    let parent = dirname(dir);
    while (!existsSync(parent)) parent = dirname(parent);
    if (!Deno.statSync(parent).isDirectory) {
      throw new UsageError(
        `Invalid directory: ${dir} (${parent} is not a directory)`,
      );
    }
    Deno.mkdirSync(dir, { recursive: true });
    console.log(`created ${dir}`);
  }
  if (!Deno.statSync(dir).isDirectory) {
    throw new UsageError(`Invalid directory: ${dir} is not a directory`);
  }
  const name = (values.name as string | undefined) ?? "messages";
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new UsageError(
      `Invalid --name: ${JSON.stringify(name)} (letters, digits, _ and - only)`,
    );
  }
  let importSpecifier = (values.import as string | undefined) ??
    selfSpecifier();
  if (/^\.\.?[\\/]/.test(importSpecifier)) {
    // A relative path means from here; the test imports it from tests/.
    const path = relative(join(dir, "tests"), resolve(importSpecifier))
      .replaceAll("\\", "/");
    importSpecifier = path.startsWith(".") ? path : `./${path}`;
  }
  const files: [string, string][] = [
    [join(dir, "fixtures", `${name}.sql`), schemaTemplate()],
    [
      join(dir, "tests", `${name}_concurrency_test.ts`),
      testTemplate(name, importSpecifier),
    ],
  ];
  const force = values.force === true;
  // Read the project's deno.json before writing anything, so a config we
  // cannot edit leaves no half-done scaffold behind.
  const config = join(dir, "deno.json");
  const task = `test:${name}`;
  let configJson: { tasks?: Record<string, string> } | null = null;
  let configProblem: string | null = null;
  if (existsSync(config)) {
    try {
      const parsed = JSON.parse(await Deno.readTextFile(config));
      if (typeof parsed === "object" && parsed !== null) configJson = parsed;
      else configProblem = "is not a JSON object";
    } catch {
      configProblem = "is not plain JSON (comments?)";
    }
  }
  const existing = files.filter(([path]) => existsSync(path)).map(([p]) => p);
  if (existing.length > 0 && !force) {
    throw new UsageError(
      `Not overwriting ${existing.join(", ")} (use --force to overwrite)`,
    );
  }
  for (const [path, text] of files) {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text);
    console.log(`wrote ${path}`);
  }
  const taskLine = `deno test -A tests/${name}_concurrency_test.ts`;
  const byHand = (file: string, why: string): void =>
    console.log(
      `${file} ${why}: add the task by hand: "${task}": "${taskLine}"`,
    );
  if (configJson !== null) {
    configJson.tasks ??= {};
    if (configJson.tasks[task] !== undefined && !force) {
      console.log(
        `kept task ${task} in ${config} (exists; --force replaces it)`,
      );
    } else {
      configJson.tasks[task] = taskLine;
      await Deno.writeTextFile(
        config,
        JSON.stringify(configJson, null, 2) + "\n",
      );
      console.log(`added task ${task} to ${config}`);
    }
  } else if (configProblem !== null) byHand(config, configProblem);
  else if (existsSync(join(dir, "deno.jsonc"))) {
    byHand(join(dir, "deno.jsonc"), "found");
  }
  // From where the user is, which may not be `dir`.
  const testPath = relative(Deno.cwd(), files[1][0]).replaceAll("\\", "/");
  console.log(`next: deno test -A ${testPath}`);
  return 0;
}
