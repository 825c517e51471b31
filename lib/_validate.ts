// Private: argument checks shared by every entry point. Each names the option
// and the value it rejects.

/** The largest timeout a timer or SQLite accepts, in milliseconds. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Throws a `TypeError` naming every key of `object` not in `allowed`. */
export function rejectUnknownOptions(
  what: string,
  object: object,
  allowed: readonly string[],
): void {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `Unknown ${what} option${unknown.length > 1 ? "s" : ""}: ${
        unknown.join(", ")
      } (known: ${allowed.join(", ")})`,
    );
  }
}

/** A number that is an integer from `min` to `max`. */
export function integer(
  name: string,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${name}: ${JSON.stringify(value)} (expected a number)`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Invalid ${name}: ${value} (expected an integer from ${min} to ${max})`,
    );
  }
  return value;
}

/** One of `choices`. */
export function choice<T extends string>(
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== "string" || !choices.includes(value as T)) {
    throw new TypeError(
      `Invalid ${name}: ${JSON.stringify(value)} (expected one of ${
        choices.join(", ")
      })`,
    );
  }
  return value as T;
}
