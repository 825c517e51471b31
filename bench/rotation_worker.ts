/// <reference lib="deno.worker" />
// For `deno task bench strategies`: the hand-written reference for a layout.
// This thread's connections take strict turns with the other threads' over
// shared memory, with blocking waits and nothing else: in its turn, each of
// its connections commits one row, then the turn passes to the next thread.
// That is the order `queue()` keeps (a round per host), without dbhammer.
import { DatabaseSync } from "node:sqlite";

interface Setup {
  path: string;
  synchronous: string;
  connections: number;
  rounds: number;
}

interface Go {
  turn: SharedArrayBuffer;
  me: number;
  threads: number;
  rounds: number;
}

let connections: DatabaseSync[] = [];
// A value per commit, the size of generateRows' (a UUID each), made before
// the clock starts.
let values: string[] = [];

self.onmessage = (event: MessageEvent<Setup | Go>) => {
  const data = event.data;
  if ("path" in data) {
    connections = Array.from({ length: data.connections }, () => {
      const db = new DatabaseSync(data.path);
      db.exec(`PRAGMA synchronous = ${data.synchronous}`);
      return db;
    });
    values = Array.from(
      { length: data.rounds * data.connections },
      () => crypto.randomUUID() as string,
    );
    self.postMessage("ready");
    return;
  }
  const turn = new Int32Array(data.turn);
  const statements = connections.map((db) => ({
    begin: db.prepare("BEGIN"),
    insert: db.prepare("INSERT INTO messages (msg) VALUES (?)"),
    commit: db.prepare("COMMIT"),
  }));
  let next = 0;
  for (let round = 0; round < data.rounds; round++) {
    for (;;) {
      const holder = Atomics.load(turn, 0);
      if (holder === data.me) break;
      Atomics.wait(turn, 0, holder);
    }
    for (const s of statements) {
      s.begin.run();
      s.insert.run(values[next++]);
      s.commit.run();
    }
    Atomics.store(turn, 0, (data.me + 1) % data.threads);
    Atomics.notify(turn, 0);
  }
  for (const db of connections) db.close();
  self.postMessage("done");
};
