import assert from "node:assert/strict";
import { dealtRowCount, dealtRows, operationCount } from "../lib/_deal.ts";

Deno.test("dealing: rows go round the writers like cards, and the counts agree", () => {
  assert.deepEqual(
    [0, 1, 2].map((w) => dealtRows(w, 3, 8)),
    [[0, 3, 6], [1, 4, 7], [2, 5]],
  );
  assert.deepEqual(dealtRows(4, 5, 3), []);
  for (let rows = 0; rows <= 13; rows++) {
    for (let writers = 1; writers <= 6; writers++) {
      for (let perTx = 1; perTx <= 4; perTx++) {
        let total = 0;
        for (let w = 0; w < writers; w++) {
          const dealt = dealtRows(w, writers, rows);
          assert.equal(dealtRowCount(w, writers, rows), dealt.length);
          const ops = operationCount(w, writers, {
            kind: "insert",
            table: "t",
            columns: ["a"],
            rows,
          }, perTx);
          assert.equal(ops, Math.ceil(dealt.length / perTx));
          total += dealt.length;
        }
        assert.equal(total, rows, `${rows} rows, ${writers} writers`);
      }
    }
  }
  assert.equal(
    operationCount(2, 3, {
      kind: "counter",
      table: "c",
      increments: 7,
      by: 1,
      transaction: true,
    }, 1),
    7,
  );
});
