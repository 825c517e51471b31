// Private: dealing a plan's operations to its writers, and what recognises
// each row afterwards.
import { dealtRows, operationCount } from "../_deal.ts";
import type { StoredFingerprints } from "../_fingerprint.ts";
import type { WriterAssignment } from "../host/_protocol.ts";
import type { HammerPlan, RunSettings } from "../plan.ts";
import { toSqlValue } from "../table.ts";

/**
 * The writers of a run and their operations: an insert's rows dealt out
 * like cards (row i to writer i % writers, in transactions of
 * `rowsPerTransaction`), every other workload's operations counted out.
 */
export function assign(
  plan: HammerPlan,
  settings: RunSettings,
  stored: StoredFingerprints,
): WriterAssignment[] {
  const writers: WriterAssignment[] = Array.from(
    { length: settings.writers },
    (_, id) => ({ id, operations: [], values: [] }),
  );
  const workload = settings.workload;
  if (plan.workload.kind !== "insert" || workload.kind !== "insert") {
    for (const writer of writers) {
      const count = operationCount(
        writer.id,
        settings.writers,
        workload,
        settings.rowsPerTransaction,
      );
      for (let seq = 0; seq < count; seq++) {
        writer.operations.push({ seq, keys: [], fingerprints: [] });
      }
    }
    return writers;
  }
  const rows = plan.workload.rows;
  for (const writer of writers) {
    const keys = dealtRows(writer.id, settings.writers, rows.length);
    for (let i = 0; i < keys.length; i += settings.rowsPerTransaction) {
      const chunk = keys.slice(i, i + settings.rowsPerTransaction);
      // The values go to the host flat; the orchestrator keeps only what
      // recognises each row afterwards.
      const fingerprints = chunk.map((key) => {
        const row = workload.columns.map((c) => toSqlValue(rows[key][c]));
        for (const value of row) writer.values.push(value);
        return stored.of(row);
      });
      writer.operations.push({
        seq: writer.operations.length,
        keys: chunk,
        fingerprints,
      });
    }
  }
  return writers;
}
