export { CliError, EXIT, NotHealthy, UsageError } from "./errors";
export { buildProgram } from "./program";
