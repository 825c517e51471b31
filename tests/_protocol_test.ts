import assert from "node:assert/strict";
import {
  hostOperations,
  hostWriter,
  type PlannedOperation,
  type WriterAssignment,
} from "../lib/_protocol.ts";
import type { SqlValue } from "../lib/table.ts";

/** A writer's planned operations: `rows` dealt out `perOp` at a time. */
function planned(rows: SqlValue[][], perOp: number): WriterAssignment {
  const operations: PlannedOperation[] = [];
  for (let i = 0; i < rows.length; i += perOp) {
    const chunk = rows.slice(i, i + perOp);
    operations.push({
      seq: operations.length,
      keys: chunk.map((_, j) => i + j),
      rows: chunk,
      fingerprints: chunk.map(() => "fp"),
    });
  }
  return { id: 3, operations };
}

const seqAndRows = (w: WriterAssignment) =>
  w.operations.map(({ seq, rows }) => ({ seq, rows }));

Deno.test("hostWriter() sends only the rows, flat; hostOperations() rebuilds the operations as planned", () => {
  const blob = new Uint8Array([1, 2, 3]);
  const rows: SqlValue[][] = [
    ["a", 1, null],
    ["b", 2.5, blob],
    ["c", 3n, "x"],
    ["d", 4, null],
    ["e", 5, null],
  ];
  // Two rows an operation: the last operation has one.
  const writer = planned(rows, 2);
  const sent = hostWriter(writer);
  assert.deepEqual(sent, {
    id: 3,
    operations: 3,
    rows: 5,
    values: rows.flat(),
  });
  // What crosses to the host is what structuredClone keeps.
  const rebuilt = hostOperations(structuredClone(sent), 2);
  assert.deepEqual(rebuilt, seqAndRows(writer));
  assert.deepEqual(rebuilt[2], { seq: 2, rows: [["e", 5, null]] });
});

Deno.test("hostOperations() rebuilds rows without columns and operations without rows", () => {
  // `INSERT … DEFAULT VALUES`: rows of no values.
  const empty = planned([[], [], []], 2);
  assert.deepEqual(
    hostOperations(structuredClone(hostWriter(empty)), 2),
    seqAndRows(empty),
  );
  assert.deepEqual(hostOperations(hostWriter(empty), 2)[1], {
    seq: 1,
    rows: [[]],
  });
  // A counter or a task: operations with no rows at all.
  const counter: WriterAssignment = {
    id: 0,
    operations: [0, 1, 2].map((seq) => ({
      seq,
      keys: [],
      rows: [],
      fingerprints: [],
    })),
  };
  const sent = hostWriter(counter);
  assert.deepEqual(sent, { id: 0, operations: 3, rows: 0, values: [] });
  assert.deepEqual(hostOperations(sent, 1), seqAndRows(counter));
});
