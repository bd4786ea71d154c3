import { CommanderError } from "commander";
import { EXIT } from "./errors";
import { takeExtraCaCerts } from "./extra-ca";
import { describeFailure } from "./failure";
import { buildProgram } from "./program";

const VERSION = "0.0.0";

/** Runs `grove` with `argv` (as `process.argv`) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(VERSION, argv);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (
      error instanceof CommanderError &&
      ["commander.helpDisplayed", "commander.version"].includes(error.code)
    ) {
      return EXIT.ok;
    }
    if (process.env.GROVE_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    const failure = describeFailure(error);
    if (failure.line) process.stderr.write(`${failure.line}\n`);
    return failure.exitCode;
  }
}

// a closed stdout (`grove apps list | head -1`) is not an error worth a stack trace
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(EXIT.ok);
});

takeExtraCaCerts();
void main(process.argv).then((code) => process.exit(code));
