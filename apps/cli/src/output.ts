/** Where a command writes: data to stdout, progress and notes to stderr. */
export interface Output {
  /** `--json`: one JSON document (or NDJSON for streams) on stdout, nothing else there */
  readonly json: boolean;
  /** stderr is a terminal: progress bars and in-place updates are allowed */
  readonly interactive: boolean;
  /** A line of data (human form). */
  line(text: string): void;
  /** A JSON value as one line (`--json`). */
  record(value: unknown): void;
  /** Aligned columns with a header row (human form). */
  table(headers: string[], rows: (string | number)[][]): void;
  /** Progress or information for people, on stderr. */
  note(text: string): void;
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

/**
 * The output of one command. Colour only when stdout is a terminal and `NO_COLOR` is unset (or
 * empty); in `--json` mode stdout carries JSON only.
 */
export function createOutput(
  json: boolean,
  streams: Streams = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Output {
  const { stdout, stderr, env } = streams;
  const color = !json && stdout.isTTY === true && !env.NO_COLOR;
  const noteColor = stderr.isTTY === true && !env.NO_COLOR;
  const paint = (on: boolean, code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  const dimNote = paint(noteColor, "2");
  return {
    json,
    interactive: stderr.isTTY === true,
    line: (text) => void stdout.write(`${text}\n`),
    record: (value) => void stdout.write(`${JSON.stringify(value)}\n`),
    table(headers, rows) {
      const cells = [headers, ...rows.map((row) => row.map(String))];
      const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
      cells.forEach((row, index) => {
        const text = row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
          .join("  ");
        stdout.write(`${index === 0 ? paint(color, "1")(text) : text}\n`);
      });
    },
    note: (text) => void stderr.write(`${dimNote(text)}\n`),
    bold: paint(color, "1"),
    dim: paint(color, "2"),
    good: paint(color, "32"),
    bad: paint(color, "31"),
  };
}
