// CI: dbhammer's modules import one way. Fails on an import cycle (type-only
// imports included) and on lib/host/ importing the main thread's side.
// Usage: deno run -A .ci/layers.ts
const ENTRIES = [
  "mod.ts",
  "cli.ts",
  "lib/host/worker.ts",
  "lib/host/process.ts",
  "lib/host.ts",
  "lib/host_process.ts",
];
/** host/ runs inside Workers and subprocesses: never these. */
const HOST_MAY_NOT_IMPORT = [
  /^lib\/run\//,
  /^lib\/report\//,
  /^lib\/fixture\.ts$/,
  /^lib\/table\.ts$/,
  /^lib\/hammer\.ts$/,
  /^lib\/probe\.ts$/,
  /^lib\/assert(\.ts$|\/)/,
  /^lib\/cli\//,
  /^cli\.ts$/,
  /^lib\/insert_rows_in_parallel\.ts$/,
];

interface Dependency {
  code?: { specifier: string };
  type?: { specifier: string };
}
interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

const root = new URL("../", import.meta.url).href;
const entries = ENTRIES.filter((entry) => {
  try {
    return Deno.statSync(new URL(entry, root)).isFile;
  } catch {
    return false;
  }
});
const graphs: { modules: Module[] }[] = [];
for (const entry of entries) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: new URL(root),
    stderr: "inherit",
  }).output();
  if (!output.success) Deno.exit(1);
  graphs.push(JSON.parse(new TextDecoder().decode(output.stdout)));
}

const edges = new Map<string, Set<string>>();
for (const { modules } of graphs) {
  for (const m of modules) {
    if (!m.specifier.startsWith(root)) continue;
    const from = m.specifier.slice(root.length);
    const to = edges.get(from) ?? new Set<string>();
    for (const d of m.dependencies ?? []) {
      for (const s of [d.code?.specifier, d.type?.specifier]) {
        if (s?.startsWith(root) && !s.endsWith(".json")) {
          to.add(s.slice(root.length));
        }
      }
    }
    edges.set(from, to);
  }
}

const problems: string[] = [];
for (const [from, to] of edges) {
  if (!from.startsWith("lib/host/")) continue;
  for (const target of to) {
    if (HOST_MAY_NOT_IMPORT.some((pattern) => pattern.test(target))) {
      problems.push(`${from} imports ${target}: host/ must not import upward`);
    }
  }
}

// Tarjan's strongly connected components: any of more than one is a cycle.
let index = 0;
const indexOf = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function visit(v: string): void {
  indexOf.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!indexOf.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
  }
  if (low.get(v) === indexOf.get(v)) {
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) {
      problems.push(`import cycle: ${component.sort().join(", ")}`);
    }
  }
}
for (const v of edges.keys()) if (!indexOf.has(v)) visit(v);

if (problems.length > 0) {
  console.error(problems.join("\n"));
  Deno.exit(1);
}
console.log(
  `layers: ${edges.size} modules, no cycle, host/ imports nothing upward`,
);
