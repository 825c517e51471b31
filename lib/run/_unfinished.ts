// Private: the message of a run stopped before its end (its deadline, its
// signal), short enough to read: the first few writers, then counts by
// state. The full list stays in the error's `unfinished`.
import type { UnfinishedWriter } from "../errors.ts";

/** Writers listed one by one before the rest are counted. */
const LISTED = 3;

/**
 * "Run <why> with N writers unfinished: writer 0 (operation 1 of 2): …; …
 * and 97 more (60 waiting for the write lock, …)", then each note.
 */
export function unfinishedMessage(
  why: string,
  unfinished: readonly UnfinishedWriter[],
  notes: readonly string[] = [],
): string {
  const listed = unfinished.slice(0, LISTED).map((u) =>
    `writer ${u.writer} (operation ${
      u.opIndex + 1
    } of ${u.operations}): ${u.state}`
  );
  const rest = unfinished.slice(LISTED);
  let text = `Run ${why} with ${unfinished.length} writer${
    unfinished.length === 1 ? "" : "s"
  } unfinished: ${listed.join("; ")}`;
  if (rest.length > 0) {
    const byState = new Map<string, number>();
    for (const u of unfinished) {
      byState.set(u.state, (byState.get(u.state) ?? 0) + 1);
    }
    const counts = [...byState].sort((a, b) => b[1] - a[1])
      .map(([state, n]) => `${n} ${state}`);
    text += `; and ${rest.length} more (all ${unfinished.length}: ${
      counts.join("; ")
    })`;
  }
  return [text, ...notes].join(". ");
}
