import { basename } from "node:path";

/** How a child process ended and what it wrote; `exitCode` is undefined when a signal ended it. */
export interface ChildOutcome {
  exitCode: number | undefined;
  signal?: string | undefined;
  stdout: string;
  stderr: string;
}

/** How many of the tool's last lines of output a ChildFailed carries. */
export const TAIL_LINES = 5;

/**
 * A host tool Grove started (initdb, postgres, nats-server, runc, a CNI plugin, nft, mount, mkfs…)
 * failed. The message names the tool and how it ended, quotes its own last lines of stderr (stdout
 * when stderr is empty), and ends with one sentence of what to do:
 *
 *     initdb exited with code 1:
 *       initdb: error: could not create directory "/x/data": Permission denied
 *     Make /x writable by the postgres user, or point the data directory elsewhere.
 */
export class ChildFailed extends Error {
  /** the tool's name as it was run (`initdb`, `nft`…) */
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** the tool's own last lines of output */
  readonly tail: string;
  /** one sentence of what to do */
  readonly hint: string;

  constructor(file: string, outcome: Omit<ChildOutcome, "stdout"> & { stdout?: string }, hint: string) {
    const command = basename(file);
    const tail = tailLines(outcome.stderr.trim() ? outcome.stderr : (outcome.stdout ?? ""));
    const ended =
      outcome.exitCode === undefined
        ? `was killed by ${outcome.signal ?? "a signal"}`
        : `exited with code ${outcome.exitCode}`;
    const quoted = tail ? `:\n${indent(tail)}` : " without a message";
    super(`${command} ${ended}${quoted}\n${hint}`);
    this.name = "ChildFailed";
    this.command = command;
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.tail = tail;
    this.hint = hint;
  }
}

/** The last `count` non-empty lines of `text`. */
export function tailLines(text: string, count = TAIL_LINES): string {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .slice(-count)
    .join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
