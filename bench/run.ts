// `deno task bench`: what the toolkit costs and what contention costs, as
// ratios against one connection committing alone, measured in the same run.
// Settings: DELETE journal, synchronous FULL, one row per transaction.
import { DatabaseSync } from "node:sqlite";
import {
  createTable,
  fixtureDb,
  generateRows,
  insertRowsInParallel,
  type JournalMode,
  type Synchronous,
} from "../mod.ts";

const ROWS = 500;
const RUNS = 3;
const journalMode: JournalMode = "delete";
const synchronous: Synchronous = "full";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Commits/s of a bare loop: one connection, one commit per row. */
async function ceiling(): Promise<number> {
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

/** Commits/s measured by the report of a run with `writers` writers. */
async function hammered(writers: number): Promise<number> {
  await using db = await fixtureDb({ journalMode, synchronous });
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  const report = await insertRowsInParallel(db, generateRows(ROWS), {
    table: "messages",
    writers,
    busyTimeoutMs: 30_000,
  });
  if (report.ok !== ROWS) {
    throw new Error(`only ${report.ok}/${ROWS} committed`);
  }
  return report.commitsPerSec;
}

const cases: [string, () => Promise<number>][] = [
  ["bare loop, 1 connection (ceiling)", ceiling],
  ["hammer, 1 writer", () => hammered(1)],
  ["hammer, 8 writers, busy timeout", () => hammered(8)],
  ["hammer, 32 writers, busy timeout", () => hammered(32)],
];

console.log(
  `settings: ${ROWS} one-row transactions, journal ${journalMode}, synchronous ${synchronous}, median of ${RUNS} runs, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
);
let base = 0;
for (const [name, measure] of cases) {
  const results: number[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await measure());
  const value = median(results);
  if (base === 0) base = value;
  console.log(
    `${name.padEnd(36)} ${value.toFixed(0).padStart(7)} commits/s  ${
      (value / base * 100).toFixed(0).padStart(4)
    } % of ceiling`,
  );
}
