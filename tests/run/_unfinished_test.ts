import assert from "node:assert/strict";
import { unfinishedMessage } from "../../lib/run/_unfinished.ts";
import type { UnfinishedWriter } from "../../lib/errors.ts";

const writer = (id: number, state: string): UnfinishedWriter => ({
  writer: id,
  opIndex: 0,
  operations: 2,
  state,
  phase: "holding",
});

Deno.test("unfinishedMessage() lists a few writers in full", () => {
  assert.equal(
    unfinishedMessage("passed its deadline of 500 ms", [
      writer(0, "in a transaction, holding the write lock"),
      writer(3, "waiting for the write lock"),
    ]),
    "Run passed its deadline of 500 ms with 2 writers unfinished: writer 0 (operation 1 of 2): in a transaction, holding the write lock; writer 3 (operation 1 of 2): waiting for the write lock",
  );
});

Deno.test("unfinishedMessage() summarises many writers: the first three, then counts by state", () => {
  const unfinished = Array.from(
    { length: 400 },
    (_, i) =>
      writer(
        i,
        i === 0 ? "holding the write lock" : "waiting for the write lock",
      ),
  );
  const message = unfinishedMessage("was aborted", unfinished, ["A note"]);
  assert.ok(message.length < 400, `${message.length} characters`);
  assert.equal(
    message,
    "Run was aborted with 400 writers unfinished: writer 0 (operation 1 of 2): holding the write lock; writer 1 (operation 1 of 2): waiting for the write lock; writer 2 (operation 1 of 2): waiting for the write lock; and 397 more (all 400: 399 waiting for the write lock; 1 holding the write lock). A note",
  );
});
