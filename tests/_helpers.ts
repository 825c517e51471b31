// Shared by the tests: the example table, on a fresh fixture; the queue's
// fairness check.
import assert from "node:assert/strict";
import {
  createTable,
  type FixtureDb,
  fixtureDb,
  type FixtureOptions,
} from "../mod.ts";

/** A fresh fixture with the example table `messages(msg TEXT)`. */
export async function messagesDb(options?: FixtureOptions): Promise<FixtureDb> {
  const db = await fixtureDb(options);
  createTable(db, { name: "messages", columns: { msg: "TEXT" } });
  return db;
}

/**
 * Asserts that between two turns of anyone in `turns` (in the order the
 * turns were taken), nobody else had two: every waiting writer got its turn
 * before anyone got a second.
 */
export function assertNoSecondTurn(turns: readonly (string | number)[]): void {
  const last = new Map<string | number, number>();
  turns.forEach((who, i) => {
    const before = last.get(who);
    if (before !== undefined) {
      const between = turns.slice(before + 1, i);
      assert.equal(
        new Set(between).size,
        between.length,
        `between turns ${before} and ${i} of ${who}: ${between.join(" ")}`,
      );
    }
    last.set(who, i);
  });
}
