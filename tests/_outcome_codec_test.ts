import assert from "node:assert/strict";
import {
  OutcomePacker,
  packOutcomes,
  unpackOutcomes,
} from "../lib/_outcome_codec.ts";
import type { Outcome } from "../mod.ts";

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
