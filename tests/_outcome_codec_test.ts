import assert from "node:assert/strict";
import { packOutcomes, unpackOutcomes } from "../lib/_outcome_codec.ts";
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
