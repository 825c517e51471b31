import assert from "node:assert/strict";
import { generateRows } from "../mod.ts";

Deno.test("generateRows() makes n rows with a unique UUID in msg", () => {
  const rows = generateRows(100);
  assert.equal(rows.length, 100);
  assert.equal(new Set(rows.map((r) => r.msg)).size, 100);
  assert.match(rows[0].msg as string, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(rows[0]), ["msg"]);
});

Deno.test("generateRows() pads to payloadBytes and adds columns", () => {
  const rows = generateRows(3, {
    column: "body",
    payloadBytes: 5000,
    columns: { n: (i) => i * 2, tag: "x" },
  });
  assert.deepEqual(rows.map((r) => [(r.body as string).length, r.n, r.tag]), [
    [5000, 0, "x"],
    [5000, 2, "x"],
    [5000, 4, "x"],
  ]);
  assert.equal(generateRows(0).length, 0);
});

Deno.test("generateRows() rejects bad arguments by name", () => {
  assert.throws(() => generateRows(-1), {
    name: "RangeError",
    message: /Invalid n: -1/,
  });
  assert.throws(() => generateRows(1.5), {
    name: "RangeError",
    message: /Invalid n: 1.5/,
  });
  assert.throws(() => generateRows(1, { payloadBytes: 10 }), {
    name: "RangeError",
    message: /payloadBytes: 10/,
  });
  assert.throws(() => generateRows(1, { payloadBytes: 999_999_999_999 }), {
    name: "RangeError",
    message: /payloadBytes: 999999999999 \(expected an integer from 36 to/,
  });
  assert.throws(() => generateRows(1, { columns: { msg: 1 } }), TypeError);
  assert.throws(
    // A typo of payloadBytes is named, not ignored.
    () => generateRows(1, { payload: 100 } as never),
    { name: "TypeError", message: /Unknown generateRows option: payload/ },
  );
});
