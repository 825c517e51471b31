// `deno task bench`: what the toolkit costs and what each lock strategy
// achieves, as ratios against one connection committing alone with the same
// settings (the ceiling: SQLite has one writer at a time), measured in the
// same run. Prints a Markdown table for the README.
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
  retry,
  type Strategy,
  type Synchronous,
} from "../mod.ts";

const ROWS = 512;
const RUNS = 3;
const CONFIGS: [JournalMode, Synchronous][] = [["delete", "full"], [
  "wal",
  "normal",
]];
const WRITERS = [1, 8, 32];
const STRATEGIES: [string, () => Strategy][] = [
  ["none", none],
  ["busyTimeout(30 s)", () => busyTimeout(30_000)],
  ["retry", () => retry({ attempts: 100_000, delayMs: 1, maxDelayMs: 20 })],
  ["fileLock", () => fileLock({ timeoutMs: 60_000 })],
  ["queue", queue],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Commits/s of a bare loop: one connection, one commit per row. */
async function ceiling(
  journalMode: JournalMode,
  synchronous: Synchronous,
): Promise<number> {
  await using db = await fixtureDb({ journalMode, synchronous });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const conn = new DatabaseSync(db.path);
  try {
    conn.exec(`PRAGMA synchronous = ${synchronous}`);
    const insert = conn.prepare("INSERT INTO messages (msg) VALUES (?)");
    const begin = conn.prepare("BEGIN");
    const commit = conn.prepare("COMMIT");
    const rows = generateRows(ROWS);
    const started = performance.now();
    for (const row of rows) {
      begin.run();
      insert.run(row.msg as string);
      commit.run();
    }
    return ROWS / ((performance.now() - started) / 1000);
  } finally {
    conn.close();
  }
}

/** Commits/s and ok/intended of one run, from its report. */
async function hammered(
  journalMode: JournalMode,
  synchronous: Synchronous,
  writers: number,
  strategy: Strategy,
): Promise<{ commitsPerSec: number; ok: number }> {
  await using db = await fixtureDb({ journalMode, synchronous });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const report = await insertRowsInParallel(db, generateRows(ROWS), {
    table: "messages",
    writers,
    strategy,
  });
  return { commitsPerSec: report.commitsPerSec, ok: report.ok };
}

console.log(
  `settings: ${ROWS} one-row transactions per run, median of ${RUNS} runs, one Worker per writer, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ${Deno.build.os}`,
);
console.log("");
console.log(
  "| journal / sync | writers | strategy | commits/s | % of ceiling | ok/intended |",
);
console.log("| --- | ---: | --- | ---: | ---: | ---: |");
for (const [journalMode, synchronous] of CONFIGS) {
  const ceilings: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    ceilings.push(await ceiling(journalMode, synchronous));
  }
  const base = median(ceilings);
  console.log(
    `| ${journalMode} / ${synchronous} | 1 | bare loop (ceiling) | ${
      base.toFixed(0)
    } | 100 % | ${ROWS}/${ROWS} |`,
  );
  for (const writers of WRITERS) {
    for (const [name, make] of STRATEGIES) {
      const results: { commitsPerSec: number; ok: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        results.push(
          await hammered(journalMode, synchronous, writers, make()),
        );
      }
      const rate = median(results.map((r) => r.commitsPerSec));
      const ok = median(results.map((r) => r.ok));
      console.log(
        `| ${journalMode} / ${synchronous} | ${writers} | ${name} | ${
          rate.toFixed(0)
        } | ${(rate / base * 100).toFixed(0)} % | ${ok}/${ROWS} |`,
      );
    }
  }
}
