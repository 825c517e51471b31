// Private: argument checks shared by every entry point. Each names the option
// and the value it rejects.

/**
 * A `TypeError` or `RangeError` about one option, with the option as a
 * field: `option` as the API names it (`writers`, `holdMs[1]`,
 * `rows[3].msg`), `detail` what is wrong with its value. The message is
 * `Invalid <option>: <detail>`; the CLI names its flag from `option`.
 */
export type InvalidOption = (TypeError | RangeError) & {
  readonly option: string;
  readonly detail: string;
};

/** The error {@linkcode InvalidOption} for `option`; `facts` add fields. */
export function invalid(
  option: string,
  detail: string,
  Kind: typeof TypeError | typeof RangeError = TypeError,
  facts: Record<string, unknown> = {},
): InvalidOption {
  const { cause, ...rest } = facts;
  const error = new Kind(
    `Invalid ${option}: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
  return Object.assign(error, { ...rest, option, detail });
}

/** Whether `error` is an {@linkcode InvalidOption}. */
export function isInvalidOption(error: unknown): error is InvalidOption {
  return (error instanceof TypeError || error instanceof RangeError) &&
    typeof (error as Partial<InvalidOption>).option === "string";
}

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
    throw invalid(name, `${JSON.stringify(value)} (expected a number)`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      name,
      `${value} (expected an integer from ${min} to ${max})`,
      RangeError,
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
    throw invalid(
      name,
      `${JSON.stringify(value)} (expected one of ${choices.join(", ")})`,
    );
  }
  return value as T;
}
