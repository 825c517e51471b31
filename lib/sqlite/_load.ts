// Private: finding a driver by module specifier, with a clear error when the
// module cannot load or does not export one.
import type { Driver } from "../driver.ts";
import { invalid } from "../_validate.ts";
import nodeSqlite from "../drivers/node_sqlite.ts";

/** The default driver's module, as a URL. */
export const DEFAULT_DRIVER: string = new URL(
  "../drivers/node_sqlite.ts",
  import.meta.url,
).href;

/** The default driver, for code that needs it without loading anything. */
export const defaultDriver: Driver = nodeSqlite;

/** A module specifier as the string `import()` takes. */
export function driverSpecifier(specifier: unknown): string {
  if (specifier instanceof URL) return specifier.href;
  if (typeof specifier === "string" && specifier !== "") return specifier;
  throw invalid(
    "driver",
    `${JSON.stringify(specifier)} (expected a module URL or specifier)`,
  );
}

/** The driver a module exports (default export, or `driver`). */
export function driverFrom(
  module: Record<string, unknown>,
  specifier: string,
): Driver {
  const candidate = (module.default ?? module.driver) as
    | Partial<Driver>
    | undefined;
  const missing: string[] = [];
  if (typeof candidate !== "object" || candidate === null) {
    missing.push("a default export (or `driver`) that is an object");
  } else {
    if (typeof candidate.name !== "string") missing.push("name (a string)");
    if (typeof candidate.open !== "function") {
      missing.push("open(path) (a function)");
    }
    if (
      candidate.classify !== undefined &&
      typeof candidate.classify !== "function"
    ) missing.push("classify(error) to be a function");
  }
  if (missing.length > 0) {
    throw new TypeError(
      `Invalid driver module ${specifier}: it lacks ${
        missing.join(", ")
      } (exports: ${Object.keys(module).join(", ") || "none"})`,
    );
  }
  return candidate as Driver;
}

/** Loads a driver module; the error names the module and what is wrong. */
export async function loadDriver(specifier: string): Promise<Driver> {
  if (specifier === DEFAULT_DRIVER) return defaultDriver;
  let module: Record<string, unknown>;
  try {
    module = await import(specifier);
  } catch (error) {
    throw new TypeError(
      `Invalid driver module ${specifier}: it cannot be loaded: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  return driverFrom(module, specifier);
}
