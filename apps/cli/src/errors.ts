/** Exit codes of `grove`. */
export const EXIT = { ok: 0, error: 1, notHealthy: 2 } as const;

/** An error `grove` reports as one line on stderr and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** `grove exec`'s command exited non-zero: `grove` exits with the same code and prints nothing more. */
export class ProcessExited extends CliError {
  constructor(exitCode: number) {
    super("", exitCode);
  }
}

/** A bad command line: unknown flag, missing argument, unparsable value. Exit 1. */
export class UsageError extends CliError {}

/** The change was submitted, but its instances were not placed, crashed or did not become healthy. */
export class NotHealthy extends CliError {
  constructor(message: string) {
    super(message, EXIT.notHealthy);
  }
}

/** No token is configured for a command that needs one. */
export class NotLoggedIn extends CliError {
  constructor() {
    super("not logged in: run grove login --api URL --token TOKEN, or set GROVE_TOKEN");
  }
}
