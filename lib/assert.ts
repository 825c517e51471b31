/**
 * Assertions that turn a run into a test. Each throws `AssertionError` (from
 * `node:assert`) with a message that says what was expected, what was found,
 * and which writers and rows differ.
 *
 * @module
 */
export {
  assertRowCount,
  assertRowOrder,
  type RowOrder,
} from "./assert/rows.ts";
export {
  assertLockErrors,
  assertNoLockErrors,
  type LockErrorBounds,
} from "./assert/lock_errors.ts";
export { assertAcknowledged, assertIntegrity } from "./assert/acknowledged.ts";
export { assertAllOrNothing, assertCounter } from "./assert/invariants.ts";
