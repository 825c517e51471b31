// `deno task bench [orchestration|strategies|overhead]`: what dbhammer costs
// and what each lock strategy achieves, always as ratios against a baseline
// measured in the same run. Prints Markdown tables for the README. Nothing
// here is asserted by `deno task test`.
import { DatabaseSync } from "node:sqlite";
import {
  busyTimeout,
  createTable,
  fileLock,
  fixtureDb,
  generateRows,
  insertRowsInParallel,
  type JournalMode,
  none,
  queue,
  type Report,
  retry,
  type Strategy,
  type Synchronous,
} from "../mod.ts";
import { acknowledgement } from "../lib/_acknowledged.ts";

const SECTIONS = ["orchestration", "strategies", "overhead"];
const CHILD = "--orchestration-child";
const args = Deno.args.filter((a) => !a.startsWith("--runs="));
const runsArg = Deno.args.find((a) => a.startsWith("--runs="));
const RUNS_OVERRIDE = runsArg === undefined
  ? undefined
  : Number(runsArg.slice("--runs=".length));
const chosen = args[0] === CHILD ? [] : args.length === 0 ? SECTIONS : args;
for (const name of chosen) {
  if (!SECTIONS.includes(name)) {
    console.error(
      `Unknown bench section: ${name} (expected ${SECTIONS.join(", ")})`,
    );
    Deno.exit(2);
  }
}

const CONFIGS: [JournalMode, Synchronous][] = [
  ["delete", "full"],
  ["wal", "full"],
  ["wal", "normal"],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

if (chosen.length > 0) {
  console.log(
    `machine: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ${Deno.build.os}/${Deno.build.arch}; ${
      new Date().toISOString().slice(0, 10)
    }`,
  );
}

/** Commits/s of a bare loop: one node:sqlite connection, one commit per row. */
async function bareLoop(
  journalMode: JournalMode,
  synchronous: Synchronous,
  rows: number,
): Promise<number> {
  await using db = await fixtureDb({ journalMode, synchronous });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const conn = new DatabaseSync(db.path);
  try {
    conn.exec(`PRAGMA synchronous = ${synchronous}`);
    const insert = conn.prepare("INSERT INTO messages (msg) VALUES (?)");
    const begin = conn.prepare("BEGIN");
    const commit = conn.prepare("COMMIT");
    const values = generateRows(rows).map((row) => row.msg as string);
    const started = performance.now();
    for (const value of values) {
      begin.run();
      insert.run(value);
      commit.run();
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    conn.close();
  }
}

/** One insert run on a fresh database. */
async function insertRun(
  journalMode: JournalMode,
  synchronous: Synchronous,
  rows: number,
  options: { writers: number; threads?: number; strategy?: Strategy },
): Promise<{ report: Report; wallMs: number; peakRss: number; lost: number }> {
  await using db = await fixtureDb({ journalMode, synchronous });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const data = generateRows(rows);
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const report = await insertRowsInParallel(db, data, {
      table: "messages",
      ...options,
    });
    const wallMs = performance.now() - started;
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
    const lost = acknowledgement(db, report).lost.length;
    return { report, wallMs, peakRss, lost };
  } finally {
    clearInterval(sampler);
  }
}

interface OrchestrationResult {
  wallMs: number;
  peakRss: number;
  threads: number;
  lockErrors: number;
  ok: number;
  lost: number;
}

// Each orchestration run is its own process, so its peak RSS is its own.
if (args[0] === CHILD) {
  const writers = Number(args[1]);
  const threads = args[2] === "default" ? undefined : Number(args[2]);
  const r = await insertRun("delete", "full", writers, {
    writers,
    threads,
    strategy: busyTimeout(5000),
  });
  const result: OrchestrationResult = {
    wallMs: r.wallMs,
    peakRss: r.peakRss,
    threads: r.report.settings.threads,
    lockErrors: r.report.lockErrors,
    ok: r.report.ok,
    lost: r.lost,
  };
  console.log(JSON.stringify(result));
}

async function orchestrationRun(
  writers: number,
  threads: number | undefined,
): Promise<OrchestrationResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename!,
      CHILD,
      String(writers),
      threads === undefined ? "default" : String(threads),
    ],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`bench child failed (${writers})`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

if (chosen.includes("orchestration")) {
  const RUNS = RUNS_OVERRIDE ?? 3;
  console.log("");
  console.log(
    `## Orchestration: one-row writers, DELETE journal, busy timeout 5 s (median of ${RUNS} runs, each in its own process; peak RSS of that process)`,
  );
  console.log("");
  console.log(
    "| writers | layout | threads | wall time | peak RSS | lock errors | rows | lost | speed-up |",
  );
  console.log(
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const writers of [100, 500]) {
    const layouts: [string, number | undefined][] = [
      ["a Worker per writer", writers],
      ["multiplexed (default)", undefined],
    ];
    const results = [];
    for (const [name, threads] of layouts) {
      const runs: OrchestrationResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(await orchestrationRun(writers, threads));
      }
      results.push({ name, runs, wall: median(runs.map((r) => r.wallMs)) });
    }
    const perThread = results[0].wall;
    for (const { name, runs, wall } of results) {
      console.log(
        `| ${writers} | ${name} | ${runs[0].threads} | ${
          (wall / 1000).toFixed(2)
        } s | ${mib(median(runs.map((r) => r.peakRss)))} | ${
          median(runs.map((r) => r.lockErrors))
        } | ${median(runs.map((r) => r.ok))}/${writers} | ${
          Math.max(...runs.map((r) => r.lost))
        } | ${(perThread / wall).toFixed(1)}× |`,
      );
    }
  }
  console.log("");
  console.log(
    "Targets: 500 writers ≥ 5× faster multiplexed than a Worker per writer, under 1 GiB RSS, 0 lost.",
  );
}

if (chosen.includes("strategies")) {
  // Each run commits about half a second's worth of rows at the ceiling's
  // rate, so start-up (waking the hosts) does not count for more than it
  // would in a real workload.
  const TARGET_SECONDS = 0.5;
  const RUNS = RUNS_OVERRIDE ?? 3;
  const STRATEGIES: [string, () => Strategy][] = [
    ["none", none],
    ["busyTimeout(30 s)", () => busyTimeout(30_000)],
    ["retry", () => retry({ attempts: 100_000, delayMs: 1, maxDelayMs: 20 })],
    ["fileLock", () => fileLock({ timeoutMs: 60_000 })],
    ["queue", queue],
  ];
  console.log("");
  console.log(
    `## Strategies: one-row transactions, about ${TARGET_SECONDS} s of the ceiling's work per run, default threads; % of ceiling = commits/s over one connection alone with the same settings, measured just before each run (medians of ${RUNS} pairs)`,
  );
  console.log("");
  console.log(
    "| journal / sync | writers | strategy | commits/s | % of ceiling | ok/intended |",
  );
  console.log("| --- | ---: | --- | ---: | ---: | ---: |");
  const best: string[] = [];
  for (const [journalMode, synchronous] of CONFIGS) {
    const estimate = await bareLoop(journalMode, synchronous, 512);
    const ROWS = Math.min(
      20_000,
      Math.max(512, Math.round(estimate * TARGET_SECONDS)),
    );
    const ceilings: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ceilings.push(await bareLoop(journalMode, synchronous, ROWS));
    }
    const base = median(ceilings);
    const config = `${journalMode} / ${synchronous}`;
    console.log(
      `| ${config} | 1 | bare loop (ceiling) | ${
        base.toFixed(0)
      } | 100 % | ${ROWS}/${ROWS} |`,
    );
    for (const writers of [1, 8, 32]) {
      const ratios: [string, number][] = [];
      for (const [name, make] of STRATEGIES) {
        // The disk's speed drifts (fsync on a shared machine): each run is
        // paired with a ceiling measured just before it, and the ratio is
        // the median of the pairs.
        const runs = [];
        const pairRatios: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const ceilingNow = await bareLoop(journalMode, synchronous, ROWS);
          const run = await insertRun(journalMode, synchronous, ROWS, {
            writers,
            strategy: make(),
          });
          runs.push(run);
          pairRatios.push(run.report.commitsPerSec / ceilingNow);
        }
        const rate = median(runs.map((r) => r.report.commitsPerSec));
        const ratio = median(pairRatios);
        const ok = median(runs.map((r) => r.report.ok));
        if (ok === ROWS) ratios.push([name, ratio]);
        console.log(
          `| ${config} | ${writers} | ${name} | ${rate.toFixed(0)} | ${
            (ratio * 100).toFixed(0)
          } % | ${ok}/${ROWS} |`,
        );
      }
      if (writers === 32) {
        const [name, ratio] = ratios.sort((a, b) => b[1] - a[1])[0];
        const bt = ratios.find(([n]) => n.startsWith("busyTimeout"));
        best.push(
          `${config}, 32 writers: best ${name} at ${
            (ratio * 100).toFixed(0)
          } % of the ceiling; busyTimeout at ${
            bt === undefined ? "n/a" : `${(bt[1] * 100).toFixed(0)} %`
          }`,
        );
      }
    }
  }
  console.log("");
  for (const line of best) console.log(`- ${line}`);
  console.log(
    "- Targets at 32 writers: best ≥ 90 % on delete/full and wal/full, ≥ 60 % on wal/normal.",
  );
}

if (chosen.includes("overhead")) {
  const ROWS = 5000;
  const RUNS = RUNS_OVERRIDE ?? 5;
  console.log("");
  console.log(
    `## Overhead: one writer through hammer vs a bare loop on the same driver, ${ROWS} one-row transactions (median of ${RUNS} interleaved runs)`,
  );
  console.log("");
  console.log("| journal / sync | bare loop | hammer, 1 writer | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [journalMode, synchronous] of CONFIGS) {
    const bare: number[] = [];
    const hammered: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(await bareLoop(journalMode, synchronous, ROWS));
      const { report } = await insertRun(journalMode, synchronous, ROWS, {
        writers: 1,
      });
      hammered.push(report.commitsPerSec);
    }
    const b = median(bare);
    const h = median(hammered);
    console.log(
      `| ${journalMode} / ${synchronous} | ${b.toFixed(0)} | ${
        h.toFixed(0)
      } | ${(h / b * 100).toFixed(0)} % |`,
    );
  }
  console.log("");
  console.log("Target: ≥ 90 %.");
}
