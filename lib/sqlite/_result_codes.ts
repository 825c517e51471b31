// Private: SQLite's names for its result codes, primary and extended, as
// sqlite3.h defines them (an extended code is its primary code | n << 8).

const PRIMARY = [
  "OK",
  "ERROR",
  "INTERNAL",
  "PERM",
  "ABORT",
  "BUSY",
  "LOCKED",
  "NOMEM",
  "READONLY",
  "INTERRUPT",
  "IOERR",
  "CORRUPT",
  "NOTFOUND",
  "FULL",
  "CANTOPEN",
  "PROTOCOL",
  "EMPTY",
  "SCHEMA",
  "TOOBIG",
  "CONSTRAINT",
  "MISMATCH",
  "MISUSE",
  "NOLFS",
  "AUTH",
  "FORMAT",
  "RANGE",
  "NOTADB",
  "NOTICE",
  "WARNING",
];

/** By primary code: the suffixes of its extended codes, for n = 1, 2, … */
const EXTENDED: Record<number, (string | null)[]> = {
  0: ["LOAD_PERMANENTLY", "SYMLINK"],
  1: ["MISSING_COLLSEQ", "RETRY", "SNAPSHOT", "RESERVESIZE", "KEY", "UNABLE"],
  4: [null, "ROLLBACK"],
  5: ["RECOVERY", "SNAPSHOT", "TIMEOUT"],
  6: ["SHAREDCACHE", "VTAB"],
  8: ["RECOVERY", "CANTLOCK", "ROLLBACK", "DBMOVED", "CANTINIT", "DIRECTORY"],
  10: [
    "READ",
    "SHORT_READ",
    "WRITE",
    "FSYNC",
    "DIR_FSYNC",
    "TRUNCATE",
    "FSTAT",
    "UNLOCK",
    "RDLOCK",
    "DELETE",
    "BLOCKED",
    "NOMEM",
    "ACCESS",
    "CHECKRESERVEDLOCK",
    "LOCK",
    "CLOSE",
    "DIR_CLOSE",
    "SHMOPEN",
    "SHMSIZE",
    "SHMLOCK",
    "SHMMAP",
    "SEEK",
    "DELETE_NOENT",
    "MMAP",
    "GETTEMPPATH",
    "CONVPATH",
    "VNODE",
    "AUTH",
    "BEGIN_ATOMIC",
    "COMMIT_ATOMIC",
    "ROLLBACK_ATOMIC",
    "DATA",
    "CORRUPTFS",
    "IN_PAGE",
    "BADKEY",
    "CODEC",
  ],
  11: ["VTAB", "SEQUENCE", "INDEX"],
  14: ["NOTEMPDIR", "ISDIR", "FULLPATH", "CONVPATH", "DIRTYWAL", "SYMLINK"],
  19: [
    "CHECK",
    "COMMITHOOK",
    "FOREIGNKEY",
    "FUNCTION",
    "NOTNULL",
    "PRIMARYKEY",
    "TRIGGER",
    "UNIQUE",
    "VTAB",
    "ROWID",
    "PINNED",
    "DATATYPE",
  ],
  23: ["USER"],
  27: ["RECOVER_WAL", "RECOVER_ROLLBACK", "RBU"],
  28: ["AUTOINDEX"],
};

/** Every result code by its name, e.g. `SQLITE_CONSTRAINT_UNIQUE` → 2067. */
export const CODES_BY_NAME: ReadonlyMap<string, number> = new Map([
  ...PRIMARY.map((name, code) => [`SQLITE_${name}`, code] as const),
  ["SQLITE_ROW", 100],
  ["SQLITE_DONE", 101],
  ...Object.entries(EXTENDED).flatMap(([primary, suffixes]) =>
    suffixes.flatMap((suffix, i) =>
      suffix === null ? [] : [
        [
          `SQLITE_${PRIMARY[Number(primary)]}_${suffix}`,
          Number(primary) | ((i + 1) << 8),
        ] as const,
      ]
    )
  ),
]);

const NAMES_BY_CODE = new Map(
  [...CODES_BY_NAME].map(([name, code]) => [code, name]),
);

/**
 * SQLite's name for a result code (`SQLITE_CONSTRAINT_UNIQUE` for 2067); an
 * extended code SQLite's list lacks is named by its primary code, and a code
 * that is neither as `SQLITE_<code>`.
 */
export function codeName(code: number): string {
  return NAMES_BY_CODE.get(code) ?? NAMES_BY_CODE.get(code & 0xff) ??
    `SQLITE_${code}`;
}
