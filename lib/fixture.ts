/**
 * A temporary SQLite database for a test: created in its own temp dir,
 * opened with the settings you choose, removed with everything beside it
 * when disposed.
 *
 * @module
 */
import { join } from "node:path";
import type { DriverConnection } from "./driver.ts";
import { DEFAULT_DRIVER, driverSpecifier, loadDriver } from "./sqlite/_load.ts";
import { checkJournalMode, openConnection } from "./sqlite/_connection.ts";
import { fixtureDirPrefix } from "./_temp_dirs.ts";
import {
  choice,
  integer,
  invalid,
  MAX_TIMEOUT_MS,
  rejectUnknownOptions,
} from "./_validate.ts";

/**
 * The journal modes `PRAGMA journal_mode` accepts.
 *
 * @example Check a mode
 * ```ts
 * import { JOURNAL_MODES } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.ok(JOURNAL_MODES.includes("wal"));
 * ```
 */
export const JOURNAL_MODES: readonly JournalMode[] = [
  "delete",
  "truncate",
  "persist",
  "memory",
  "wal",
  "off",
];

/** A `PRAGMA journal_mode` value. */
export type JournalMode =
  | "delete"
  | "truncate"
  | "persist"
  | "memory"
  | "wal"
  | "off";

/**
 * The values `PRAGMA synchronous` accepts.
 *
 * @example Check a value
 * ```ts
 * import { SYNCHRONOUS_MODES } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * assert.ok(SYNCHRONOUS_MODES.includes("normal"));
 * ```
 */
export const SYNCHRONOUS_MODES: readonly Synchronous[] = [
  "off",
  "normal",
  "full",
  "extra",
];

/** A `PRAGMA synchronous` value. */
export type Synchronous = "off" | "normal" | "full" | "extra";

/** A fixture, or the path of a database file: what every helper accepts. */
export type DbLike = FixtureDb | string;

/** Options for {@linkcode fixtureDb}. */
export interface FixtureOptions {
  /**
   * Journal mode of the database. `wal` persists in the file; the others are
   * per connection and are also the default of runs on this fixture.
   *
   * @default {"delete"}
   */
  journalMode?: JournalMode;
  /**
   * `PRAGMA synchronous` of the fixture's connection, and the default of runs
   * on this fixture.
   *
   * @default {"full"}
   */
  synchronous?: Synchronous;
  /**
   * Busy timeout of the fixture's connection in milliseconds, and the default
   * of runs on this fixture. 0 means lock errors surface at once.
   *
   * @default {0}
   */
  busyTimeoutMs?: number;
  /**
   * SQL run once on the new database, e.g. a schema. Mutually exclusive with
   * `schemaFile`.
   */
  sql?: string;
  /**
   * A fixture SQL file (path or `file:` URL) run once on the new database,
   * e.g. `new URL("../fixtures/messages.sql", import.meta.url)`.
   */
  schemaFile?: string | URL;
  /**
   * Directory in which the fixture's own temp dir is created.
   *
   * @default {the system temp dir}
   */
  dir?: string;
  /**
   * File name of the database inside the temp dir.
   *
   * @default {"fixture.db"}
   */
  name?: string;
  /**
   * Driver module of the fixture's own connection (see `Driver`); runs on
   * the fixture use it too unless their plan names another.
   *
   * @default {the built-in node:sqlite driver}
   */
  driver?: string | URL;
}

/** The settings a fixture's database was opened with. */
export interface FixtureSettings {
  /** Journal mode. */
  journalMode: JournalMode;
  /** `PRAGMA synchronous`. */
  synchronous: Synchronous;
  /** Busy timeout in milliseconds. */
  busyTimeoutMs: number;
  /** Driver module (a URL or specifier); runs on this fixture use it too. */
  driver: string;
}

/**
 * A temporary database file with an open connection. Dispose it (`await
 * using`) to close the connection and remove the temp dir with the database
 * and its -wal, -shm and -journal files.
 *
 * @example A fixture and its connection
 * ```ts
 * import { fixtureDb } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x)" });
 * db.connection.exec("INSERT INTO t VALUES (1)");
 * assert.equal(db.settings.journalMode, "delete");
 * ```
 */
export class FixtureDb implements AsyncDisposable, Disposable {
  /** Path of the database file. */
  readonly path: string;
  /** The temp dir that holds the database and everything beside it. */
  readonly dir: string;
  /** The settings the database was opened with; runs on it default to them. */
  readonly settings: Readonly<FixtureSettings>;
  #connection: DriverConnection | null;

  /**
   * Wraps an open connection; use {@linkcode fixtureDb} to create one.
   *
   * @param path Path of the database file.
   * @param dir The temp dir removed on dispose.
   * @param settings The settings the connection was opened with.
   * @param connection The open connection.
   */
  constructor(
    path: string,
    dir: string,
    settings: FixtureSettings,
    connection: DriverConnection,
  ) {
    this.path = path;
    this.dir = dir;
    this.settings = Object.freeze({ ...settings });
    this.#connection = connection;
  }

  /**
   * The fixture's own connection, opened with its driver.
   *
   * @throws {Error} If the fixture has been disposed.
   */
  get connection(): DriverConnection {
    if (this.#connection === null) {
      throw new Error(`Fixture database is closed: ${this.path}`);
    }
    return this.#connection;
  }

  /** Whether the fixture has been disposed. */
  get closed(): boolean {
    return this.#connection === null;
  }

  /** Closes the connection and removes the temp dir. Safe to call twice. */
  [Symbol.dispose](): void {
    if (this.#connection !== null) {
      const connection = this.#connection;
      this.#connection = null;
      connection.close();
    }
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /** Closes the connection and removes the temp dir. Safe to call twice. */
  [Symbol.asyncDispose](): Promise<void> {
    this[Symbol.dispose]();
    return Promise.resolve();
  }
}

/** The fixture's own temp dir, in `parent` (the system's by default). */
async function makeFixtureDir(parent: string | undefined): Promise<string> {
  try {
    return await Deno.makeTempDir({ dir: parent, prefix: fixtureDirPrefix() });
  } catch (error) {
    if (parent === undefined) throw error;
    const why = error instanceof Deno.errors.NotFound
      ? "no such directory"
      : `a temp dir cannot be made in it: ${(error as Error).message}`;
    throw invalid("dir", `${parent} (${why})`, RangeError, { cause: error });
  }
}

const FIXTURE_OPTION_NAMES = [
  "journalMode",
  "synchronous",
  "busyTimeoutMs",
  "sql",
  "schemaFile",
  "dir",
  "name",
  "driver",
];

/**
 * Creates a temporary database file in its own temp dir and opens it with
 * the given settings. Dispose the result to remove it.
 *
 * @example Create a fixture from SQL and dispose it
 * ```ts
 * import { fixtureDb, rowCount } from "@dbhammer/dbhammer";
 * import assert from "node:assert/strict";
 *
 * await using db = await fixtureDb({ sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1)" });
 * assert.equal(rowCount(db, "t"), 1);
 * ```
 *
 * @param options Settings, schema and location.
 * @returns A disposable handle with `.path`.
 * @throws {TypeError} If an option is unknown or has the wrong type.
 * @throws {RangeError} If `busyTimeoutMs` is negative or not an integer, or
 * `dir` does not exist or a temp dir cannot be made in it.
 * @throws {TypeError} If the driver refuses `journalMode` (node:sqlite
 * refuses `off`).
 * @throws {Error} If `schemaFile` cannot be read, or the schema's SQL fails
 * ("Cannot run schemaFile x.sql: …"); nothing is left behind.
 */
export async function fixtureDb(
  options: FixtureOptions = {},
): Promise<FixtureDb> {
  if (typeof options !== "object" || options === null) {
    throw invalid("fixtureDb options", `${String(options)}`);
  }
  rejectUnknownOptions("fixtureDb", options, FIXTURE_OPTION_NAMES);
  const settings: FixtureSettings = {
    journalMode: choice(
      "journalMode",
      options.journalMode ?? "delete",
      JOURNAL_MODES,
    ),
    synchronous: choice(
      "synchronous",
      options.synchronous ?? "full",
      SYNCHRONOUS_MODES,
    ),
    busyTimeoutMs: integer(
      "busyTimeoutMs",
      options.busyTimeoutMs ?? 0,
      0,
      MAX_TIMEOUT_MS,
    ),
    driver: driverSpecifier(options.driver ?? DEFAULT_DRIVER),
  };
  if (options.sql !== undefined && options.schemaFile !== undefined) {
    throw new TypeError(
      "Invalid fixtureDb options: give sql or schemaFile, not both",
    );
  }
  const name = options.name ?? "fixture.db";
  if (typeof name !== "string" || name === "" || /[\\/]/.test(name)) {
    throw invalid("name", `${JSON.stringify(name)} (expected a file name)`);
  }
  if (options.sql !== undefined && typeof options.sql !== "string") {
    throw invalid("sql", `expected a string, got ${typeof options.sql}`);
  }
  if (
    options.dir !== undefined &&
    (typeof options.dir !== "string" || options.dir === "")
  ) {
    throw invalid(
      "dir",
      `${JSON.stringify(options.dir)} (expected a directory path)`,
    );
  }
  let sql = options.sql;
  const schemaFile = options.schemaFile;
  if (schemaFile !== undefined) {
    if (typeof schemaFile !== "string" && !(schemaFile instanceof URL)) {
      throw invalid(
        "schemaFile",
        `expected a path or URL, got ${typeof schemaFile}`,
      );
    }
    try {
      // A file: URL as a string (what import.meta.resolve returns) too.
      sql = await Deno.readTextFile(
        typeof schemaFile === "string" && schemaFile.startsWith("file:")
          ? new URL(schemaFile)
          : schemaFile,
      );
    } catch (error) {
      throw new Error(
        `Cannot read schemaFile ${String(schemaFile)}: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
  }
  const driver = await loadDriver(settings.driver);
  checkJournalMode(driver, settings.journalMode);
  const dir = await makeFixtureDir(options.dir);
  const path = join(dir, name);
  let connection: DriverConnection | undefined;
  try {
    connection = openConnection(path, settings, driver);
    if (sql !== undefined && sql.trim() !== "") {
      try {
        connection.exec(sql);
      } catch (error) {
        const source = options.schemaFile === undefined
          ? "sql"
          : `schemaFile ${String(options.schemaFile)}`;
        throw new Error(
          `Cannot run ${source}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    return new FixtureDb(path, dir, settings, connection);
  } catch (error) {
    connection?.close();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
