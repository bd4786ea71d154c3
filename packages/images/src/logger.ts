import type { ImagesLogger } from "./types";

/** A logger that drops everything, for callers that pass none. */
export const silentLogger: ImagesLogger = {
  child: () => silentLogger,
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
