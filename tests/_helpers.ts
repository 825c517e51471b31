// Shared by the tests: the example table, on a fresh fixture.
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
