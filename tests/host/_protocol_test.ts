import assert from "node:assert/strict";
import {
  hostOperations,
  hostWriter,
  type PlannedOperation,
  type WriterAssignment,
} from "../../lib/host/_protocol.ts";
import type { SqlValue } from "../../lib/table.ts";
import type { Operation } from "../../lib/host/_writer_context.ts";

/**
 * A writer's planned operations, `rows` dealt out `perOp` at a time, and the
 * operations its host should rebuild from them.
 */
function planned(
  rows: SqlValue[][],
  perOp: number,
): { writer: WriterAssignment; expected: Operation[] } {
  const operations: PlannedOperation[] = [];
  const expected: Operation[] = [];
  for (let i = 0; i < rows.length; i += perOp) {
    const chunk = rows.slice(i, i + perOp);
    operations.push({
      seq: operations.length,
      keys: chunk.map((_, j) => i + j),
      fingerprints: chunk.map(() => "fp"),
    });
    expected.push({ seq: expected.length, rows: chunk });
  }
  return { writer: { id: 3, operations, values: rows.flat() }, expected };
}

Deno.test("hostWriter() sends only the rows' values, flat; hostOperations() rebuilds the operations as planned", () => {
  const blob = new Uint8Array([1, 2, 3]);
  const rows: SqlValue[][] = [
    ["a", 1, null],
    ["b", 2.5, blob],
    ["c", 3n, "x"],
    ["d", 4, null],
    ["e", 5, null],
  ];
  // Two rows an operation: the last operation has one.
  const { writer, expected } = planned(rows, 2);
  const sent = hostWriter(writer);
  assert.deepEqual(sent, {
    id: 3,
    operations: 3,
    rows: 5,
    values: rows.flat(),
  });
  // What crosses to the host is what structuredClone keeps.
  const rebuilt = hostOperations(structuredClone(sent), 2);
  assert.deepEqual(rebuilt, expected);
  assert.deepEqual(rebuilt[2], { seq: 2, rows: [["e", 5, null]] });
});

Deno.test("hostOperations() rebuilds rows without columns and operations without rows", () => {
  // `INSERT … DEFAULT VALUES`: rows of no values.
  const empty = planned([[], [], []], 2);
  assert.deepEqual(
    hostOperations(structuredClone(hostWriter(empty.writer)), 2),
    empty.expected,
  );
  assert.deepEqual(hostOperations(hostWriter(empty.writer), 2)[1], {
    seq: 1,
    rows: [[]],
  });
  // A counter or a task: operations with no rows at all.
  const counter: WriterAssignment = {
    id: 0,
    operations: [0, 1, 2].map((seq) => ({ seq, keys: [], fingerprints: [] })),
    values: [],
  };
  const sent = hostWriter(counter);
  assert.deepEqual(sent, { id: 0, operations: 3, rows: 0, values: [] });
  assert.deepEqual(
    hostOperations(sent, 1),
    [0, 1, 2].map((seq) => ({
      seq,
      rows: [],
    })),
  );
});
