import assert from "node:assert/strict";
import {
  OutcomePacker,
  OutcomeTable,
  outcomeTableShape,
  packOutcomes,
  unpackOutcomes,
} from "../../lib/host/_outcome_codec.ts";
import type { Outcome } from "../../mod.ts";

Deno.test("packed outcomes unpack to what was recorded, nulls and messages included", () => {
  const base = {
    fingerprints: [] as string[],
    resolved: null,
  };
  const recorded: Outcome[] = [
    {
      ...base,
      writer: 0,
      seq: 0,
      keys: [0, 3],
      outcome: "ok",
      code: null,
      message: null,
      attempts: 1,
      startMs: 1000.25,
      endMs: 1003.5,
      lockWaitMs: 0,
      txMs: 3.25,
      lockAtMs: 1000.75,
      commitAtMs: 1002.125,
      commitSeq: 7,
      rowids: [11, 12],
      read: null,
      wrote: null,
    },
    {
      ...base,
      writer: 2,
      seq: 1,
      keys: [5],
      outcome: "busy",
      code: 517,
      message: "database is locked",
      attempts: 4,
      startMs: 1001,
      endMs: 1020,
      lockWaitMs: 12.5,
      txMs: 1,
      lockAtMs: null,
      commitAtMs: null,
      commitSeq: null,
      rowids: [],
      read: 41,
      wrote: null,
    },
  ];
  const ops: Record<string, { keys: number[]; fingerprints: string[] }> = {
    "0/0": { keys: [0, 3], fingerprints: ["a", "b"] },
    "2/1": { keys: [5], fingerprints: ["c"] },
  };
  const unpacked = unpackOutcomes(
    structuredClone(packOutcomes(recorded)),
    (writer, seq) => ops[`${writer}/${seq}`],
  );
  assert.deepEqual(unpacked, [
    { ...recorded[0], fingerprints: ["a", "b"] },
    { ...recorded[1], fingerprints: ["c"] },
  ]);
  assert.deepEqual(unpackOutcomes(packOutcomes([]), () => ops["0/0"]), []);
});

Deno.test("the packer grows past its first buffers and starts empty after each batch", () => {
  const outcome = (seq: number): Outcome => ({
    writer: seq % 3,
    seq,
    keys: [seq],
    outcome: seq % 7 === 0 ? "busy" : "ok",
    code: seq % 7 === 0 ? 5 : null,
    message: seq % 7 === 0 ? `locked ${seq}` : null,
    attempts: 1,
    startMs: seq,
    endMs: seq + 0.5,
    lockWaitMs: 0,
    txMs: 0.5,
    lockAtMs: seq % 7 === 0 ? null : seq + 0.125,
    commitAtMs: seq % 7 === 0 ? null : seq + 0.25,
    commitSeq: seq % 7 === 0 ? null : seq,
    // Several rowids each, so the rowid list outgrows its buffer too.
    rowids: seq % 7 === 0 ? [] : [seq * 10, seq * 10 + 1, seq * 10 + 2],
    read: null,
    wrote: null,
    resolved: null,
    fingerprints: [],
  });
  const first = Array.from({ length: 300 }, (_, i) => outcome(i));
  const second = Array.from({ length: 5 }, (_, i) => outcome(1000 + i));
  const packer = new OutcomePacker();
  for (const o of first) packer.add(o);
  assert.equal(packer.size, 300);
  const batch1 = structuredClone(packer.take());
  assert.equal(packer.size, 0);
  for (const o of second) packer.add(o);
  const batch2 = structuredClone(packer.take());
  const byOp = (_writer: number, seq: number) => ({
    keys: [seq],
    fingerprints: [],
  });
  assert.deepEqual(unpackOutcomes(batch1, byOp), first);
  assert.deepEqual(unpackOutcomes(batch2, byOp), second);
  assert.deepEqual(unpackOutcomes(packer.take(), byOp), []);
});

Deno.test("the outcome table gives each writer its rows and rowid cells, written from another copy of the table", () => {
  // Writer 1 inserts two rows per operation, writer 0 one; writer 2 has no
  // operations. Ids need not follow the order of the writers.
  const writers = [
    { id: 1, operations: [{ keys: [1, 2] }, { keys: [3, 4] }] },
    { id: 0, operations: [{ keys: [5] }, { keys: [6] }, { keys: [7] }] },
    { id: 2, operations: [] },
  ];
  const shape = outcomeTableShape(writers);
  const outcome = (writer: number, seq: number, rowids: number[]): Outcome => ({
    writer,
    seq,
    keys: [],
    outcome: rowids.length > 0 ? "ok" : "busy",
    code: rowids.length > 0 ? null : 5,
    message: rowids.length > 0 ? null : `locked ${writer}/${seq}`,
    attempts: seq + 1,
    startMs: 10 * writer + seq,
    endMs: 10 * writer + seq + 0.5,
    lockWaitMs: 0.25,
    txMs: 0.25,
    lockAtMs: rowids.length > 0 ? 10 * writer + seq + 0.25 : null,
    commitAtMs: rowids.length > 0 ? 10 * writer + seq + 0.375 : null,
    commitSeq: rowids.length > 0 ? 100 + 10 * writer + seq : null,
    rowids,
    read: null,
    wrote: null,
    resolved: null,
    fingerprints: [],
  });
  const written = [
    outcome(0, 0, [50]),
    outcome(1, 0, [10, 11]),
    outcome(0, 1, []),
    outcome(1, 1, [12, 13]),
    outcome(0, 2, [51]),
  ];
  // The host's copy, through a structured clone as a Worker gets it.
  const hostTable = new OutcomeTable(structuredClone(shape));
  const texts = new Map<number, string>();
  for (const o of written) {
    let id = -1;
    if (o.message !== null) {
      id = texts.size;
      texts.set(id, o.message);
    }
    hostTable.write(o, id);
  }
  const table = new OutcomeTable(shape);
  const byOp = (writer: number, seq: number) => ({
    keys: [writer, seq],
    fingerprints: [`${writer}/${seq}`],
  });
  const textOf = (_writer: number, id: number) => texts.get(id)!;
  for (const o of written) {
    assert.deepEqual(table.read(o.writer, o.seq, byOp, textOf), {
      ...o,
      keys: [o.writer, o.seq],
      fingerprints: [`${o.writer}/${o.seq}`],
    });
  }
});
