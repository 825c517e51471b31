// Private: the HTML report's timeline, an SVG with a lane per writer and a
// lane for the write lock. Small runs draw every operation; large ones draw
// lanes of writers and slices of time, so the page stays under 1 MB.
import { codeName } from "../sqlite/_classify.ts";
import type { Outcome, OutcomeKind, Report } from "./report.ts";

/** Each outcome's colour. */
export const COLORS: Record<OutcomeKind, string> = {
  ok: "#2e9e5b",
  busy: "#e08a1e",
  locked: "#8e44ad",
  error: "#d0312d",
  unknown: "#7f8c8d",
  skipped: "#bdc3c7",
};
/** Waiting for the lock outside SQLite. */
export const WAIT_COLOR = "#9ecae1";
/** The write lock surely held, and the COMMIT after it. */
export const TENURE_COLOR = "#14532d";
/** The COMMIT call, after the certain tenure. */
export const COMMIT_COLOR = "#86d4a6";

/** Operations beyond which lanes and time are aggregated. */
export const MAX_DRAWN_OPERATIONS = 1500;
/** Writers beyond which lanes hold several writers. */
const MAX_WRITER_LANES = 300;
/** Lanes and time slices of an aggregated timeline. */
const AGGREGATE_LANES = 60;
const AGGREGATE_SLICES = 200;

const WIDTH = 1200;
const LEFT = 110;
const PLOT = WIDTH - LEFT - 40;

/** Escapes text for HTML and SVG. */
export function escape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ]!,
  );
}

/** One decimal. */
export const fixed = (n: number): string => n.toFixed(1);

type Timed = Outcome & { startMs: number; endMs: number };

/** The scale shared by the lanes: run time to x. */
interface Scale {
  end: number;
  x(ms: number): number;
}

/** The timeline's SVG and a sentence saying how it was drawn. */
export function timeline(report: Report): { svg: string; note: string } {
  const timed = report.outcomes.filter((o): o is Timed =>
    o.startMs !== null && o.endMs !== null
  );
  const end = timed.reduce(
    (m, o) => Math.max(m, o.endMs),
    Math.max(report.durationMs, 1),
  );
  const scale: Scale = { end, x: (ms) => LEFT + (ms / end) * PLOT };
  const writers = report.settings.writers;
  if (timed.length <= MAX_DRAWN_OPERATIONS && writers <= MAX_WRITER_LANES) {
    return {
      svg: everyOperation(timed, writers, scale),
      note:
        "Each bar is one operation from its start to its end: its light blue part is time spent waiting for the lock outside SQLite (a strategy's lock or queue, retry delays, asynchronous busy waits); the rest is the transaction, including any wait inside SQLite's busy handler. The dark part is when the operation surely held the write lock (from the statement that took it to the call of COMMIT), the pale green after it the COMMIT itself. The top lane shows the same tenures together: who held the lock when.",
    };
  }
  const lanes = Math.min(writers, AGGREGATE_LANES);
  const per = Math.ceil(writers / lanes);
  return {
    svg: aggregated(timed, writers, per, scale),
    note:
      `This run has ${timed.length} timed operations on ${writers} writers, more than the eye can follow, so the timeline is aggregated: each lane is ${
        per === 1 ? "one writer" : `${per} writers`
      }, time is cut into ${AGGREGATE_SLICES} slices of ${
        fixed(end / AGGREGATE_SLICES)
      } ms, and each slice of a lane shows the operations in flight there: the share that failed at the bottom, in the colour of the most common failure, the share that committed above it. The top lane is dark where some operation surely held the write lock. Every operation is in the report's JSON (--json).`,
  };
}

function laneBackground(
  index: number,
  label: string,
  attributes: string,
  y: number,
  height: number,
): string {
  return `<g class="lane" ${attributes}><rect x="0" y="${y}" width="${WIDTH}" height="${height}" fill="${
    index % 2 === 0 ? "#fafafa" : "#f0f0f0"
  }"/>${
    height >= 8
      ? `<text x="4" y="${y + height - 4}" font-size="${
        Math.min(11, height - 2)
      }">${label}</text>`
      : ""
  }</g>`;
}

function lockLane(y: number, height: number, body: string): string {
  return `<g class="lock-lane"><rect x="0" y="${y}" width="${WIDTH}" height="${height}" fill="#e8f5e9"/><text x="4" y="${
    y + height - 4
  }" font-size="11">write lock</text>${body}</g>`;
}

function timeAxis(scale: Scale, y: number): string {
  const ticks: string[] = [
    `<line x1="${LEFT}" y1="${y}" x2="${
      LEFT + PLOT
    }" y2="${y}" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 10; i++) {
    const ms = (scale.end / 10) * i;
    const x = fixed(scale.x(ms));
    ticks.push(
      `<line x1="${x}" y1="${y}" x2="${x}" y2="${
        y + 4
      }" stroke="#888"/><text x="${x}" y="${
        y + 16
      }" font-size="10" text-anchor="middle">${fixed(ms)}</text>`,
    );
  }
  ticks.push(
    `<text x="${LEFT + PLOT / 2}" y="${
      y + 30
    }" font-size="11" text-anchor="middle">ms since the start barrier opened</text>`,
  );
  return ticks.join("");
}

function svg(height: number, body: string): string {
  return `<svg class="timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

const rect = (
  cls: string,
  x: number,
  y: number,
  w: number,
  h: number,
  fill: string,
): string =>
  `<rect class="${cls}" x="${fixed(x)}" y="${y}" width="${
    fixed(Math.max(w, 1))
  }" height="${h}" fill="${fill}"/>`;

function label(o: Timed): string {
  const tenure = o.lockAtMs !== null && o.commitAtMs !== null
    ? `, held the lock ${fixed(o.lockAtMs)}–${fixed(o.commitAtMs)} ms`
    : "";
  return escape(
    `writer ${o.writer} #${o.seq}: ${o.outcome}${
      o.code === null ? "" : ` (${codeName(o.code)})`
    }, ${fixed(o.endMs - o.startMs)} ms, waited ${
      fixed(o.lockWaitMs)
    } ms, ${o.attempts} attempt(s)${
      o.commitSeq === null ? "" : `, commit #${o.commitSeq}`
    }${tenure}`,
  );
}

function everyOperation(
  timed: Timed[],
  writers: number,
  scale: Scale,
): string {
  const lane = writers <= 100 ? 16 : 8;
  const top = 20; // the lock lane
  const parts: string[] = [];
  const held: string[] = [];
  for (let w = 0; w < writers; w++) {
    parts.push(
      laneBackground(
        w,
        `writer ${w}`,
        `data-writer="${w}"`,
        top + w * lane,
        lane,
      ),
    );
  }
  const bar = lane - 4;
  for (const o of timed) {
    const y = top + o.writer * lane + 2;
    const start = scale.x(o.startMs);
    const stop = Math.max(scale.x(o.endMs), start + 1);
    const wait = Math.min(scale.x(o.startMs + o.lockWaitMs), stop);
    const tenure = o.lockAtMs !== null && o.commitAtMs !== null;
    let body = wait > start
      ? rect("wait", start, y, wait - start, bar, WAIT_COLOR)
      : "";
    body += rect(
      "tx",
      wait,
      y,
      stop - wait,
      bar,
      COLORS[o.outcome] + (tenure ? "80" : ""),
    );
    if (tenure) {
      const from = scale.x(o.lockAtMs!);
      const to = scale.x(o.commitAtMs!);
      body += rect("tenure", from, y, to - from, bar, TENURE_COLOR);
      body += rect("commit", to, y, stop - to, bar, COMMIT_COLOR);
      held.push(
        `<rect class="held" data-writer="${o.writer}" x="${
          fixed(from)
        }" y="3" width="${
          fixed(Math.max(to - from, 1))
        }" height="14" fill="${TENURE_COLOR}"><title>writer ${o.writer} #${o.seq}</title></rect>`,
      );
    }
    parts.push(
      `<g class="op" data-outcome="${o.outcome}" data-writer="${o.writer}"><title>${
        label(o)
      }</title>${body}</g>`,
    );
  }
  const axisY = top + writers * lane + 2;
  return svg(
    axisY + 36,
    lockLane(0, top - 2, held.join("")) + parts.join("") +
      timeAxis(scale, axisY),
  );
}

/** SVG paths, one per colour, of rectangles: adjacent equal ones merge. */
class Paths {
  #byColor = new Map<string, string[]>();
  #open: { color: string; x: number; y: number; w: number; h: number }[] = [];

  /** Adds a rectangle in band `band` of the current lane. */
  add(
    band: number,
    color: string,
    x: number,
    y: number,
    w: number,
    h: number,
  ): void {
    const last = this.#open[band];
    if (
      last !== undefined && last.color === color && last.y === y &&
      last.h === h && Math.abs(last.x + last.w - x) < 0.01
    ) {
      last.w += w;
      return;
    }
    this.#flush(band);
    this.#open[band] = { color, x, y, w, h };
  }

  /** Ends the rectangles of band `band` (at a gap or a lane's end). */
  #flush(band: number): void {
    const r = this.#open[band];
    if (r === undefined) return;
    const list = this.#byColor.get(r.color) ?? [];
    list.push(`M${fixed(r.x)} ${r.y}h${fixed(r.w)}v${r.h}h-${fixed(r.w)}z`);
    this.#byColor.set(r.color, list);
    delete this.#open[band];
  }

  /** Ends every band. */
  end(): void {
    for (const band of Object.keys(this.#open)) this.#flush(Number(band));
  }

  /** The paths. */
  toString(): string {
    this.end();
    return [...this.#byColor].map(([color, d]) =>
      `<path fill="${color}" d="${d.join("")}"/>`
    ).join("");
  }
}

const FAILURES: OutcomeKind[] = ["busy", "locked", "error", "unknown"];

function aggregated(
  timed: Timed[],
  writers: number,
  per: number,
  scale: Scale,
): string {
  const lanes = Math.ceil(writers / per);
  const lane = Math.max(6, Math.min(16, Math.floor(1200 / lanes)));
  const top = 20;
  const slices = AGGREGATE_SLICES;
  const sliceMs = scale.end / slices;
  const sliceOf = (ms: number): number =>
    Math.min(slices - 1, Math.max(0, Math.floor(ms / sliceMs)));
  // Per lane and slice, operations in flight by outcome: ok, then FAILURES.
  const counts = new Uint32Array(lanes * slices * 5);
  const held = new Uint8Array(slices);
  for (const o of timed) {
    const kind = o.outcome === "ok" ? 0 : 1 + FAILURES.indexOf(o.outcome);
    const row = Math.floor(o.writer / per) * slices;
    for (let s = sliceOf(o.startMs); s <= sliceOf(o.endMs); s++) {
      counts[(row + s) * 5 + kind]++;
    }
    if (o.lockAtMs !== null && o.commitAtMs !== null) {
      for (let s = sliceOf(o.lockAtMs); s <= sliceOf(o.commitAtMs); s++) {
        held[s] = 1;
      }
    }
  }
  const width = PLOT / slices;
  const bars = new Paths();
  const parts: string[] = [];
  for (let l = 0; l < lanes; l++) {
    const first = l * per;
    const last = Math.min(writers, first + per) - 1;
    parts.push(
      laneBackground(
        l,
        first === last ? `writer ${first}` : `writers ${first}–${last}`,
        `data-writers="${first}-${last}"`,
        top + l * lane,
        lane,
      ),
    );
    // Each slice: the share that failed at the bottom, in the colour of the
    // most common failure, the share that committed above it.
    const y = top + l * lane + 1;
    const full = lane - 2;
    for (let s = 0; s < slices; s++) {
      const at = (l * slices + s) * 5;
      let failed = 0;
      let worst = 1;
      for (let k = 1; k < 5; k++) {
        failed += counts[at + k];
        if (counts[at + k] > counts[at + worst]) worst = k;
      }
      const total = failed + counts[at];
      if (total === 0) {
        bars.end();
        continue;
      }
      const x = LEFT + s * width;
      const failH = failed === 0
        ? 0
        : Math.max(1, Math.round((failed / total) * full));
      if (failH < full) {
        bars.add(0, COLORS.ok, x, y, width, full - failH);
      }
      if (failH > 0) {
        bars.add(
          1,
          COLORS[FAILURES[worst - 1]],
          x,
          y + full - failH,
          width,
          failH,
        );
      }
    }
    bars.end();
  }
  const lock = new Paths();
  for (let s = 0; s < slices; s++) {
    if (held[s] === 1) {
      lock.add(0, TENURE_COLOR, LEFT + s * width, 3, width, 14);
    } else lock.end();
  }
  const axisY = top + lanes * lane + 2;
  return svg(
    axisY + 36,
    lockLane(0, top - 2, lock.toString()) + parts.join("") + bars.toString() +
      timeAxis(scale, axisY),
  );
}
