// Private: the messages between the orchestrator and a writer host. Plain
// data only: errors are copied into ClassifiedError objects before sending.
import type { ClassifiedError } from "./_errors.ts";
import type { RunSettings } from "./plan.ts";
import type { Outcome } from "./report.ts";
import type { Operation } from "./writer.ts";

/** The writers one host runs. */
export interface WriterAssignment {
  /** Writer id. */
  id: number;
  /** Its operations. */
  operations: Operation[];
}

/** Orchestrator → host: everything a host needs. */
export interface HostInit {
  type: "init";
  hostId: number;
  settings: RunSettings;
  shared: SharedArrayBuffer;
  writers: WriterAssignment[];
}

/** Host → orchestrator. */
export type HostMessage =
  | {
    type: "ready";
    hostId: number;
    sqliteVersion: string;
    journalMode: string;
  }
  | { type: "setup-failed"; hostId: number; error: ClassifiedError }
  | { type: "outcome"; outcome: Outcome }
  | { type: "crash-point"; writer: number }
  | { type: "done"; hostId: number };
