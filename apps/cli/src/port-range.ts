import { UsageError } from "./errors";

/**
 * `8080` or `8080-8090` as the api's port and end port.
 *
 * @example
 * parsePortRange("8080-8090") // { port: 8080, end_port: 8090 }
 */
export function parsePortRange(text: string): { port: number; end_port?: number } {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  const [start, end] = [Number(match?.[1]), match?.[2] === undefined ? undefined : Number(match[2])];
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!match || !valid(start) || (end !== undefined && (!valid(end) || end < start))) {
    throw new UsageError(`--port ${JSON.stringify(text)}: want a port (1-65535) or a range like 8080-8090`);
  }
  return end === undefined || end === start ? { port: start } : { port: start, end_port: end };
}

/** `8080` or `8080-8090`, as `parsePortRange` reads it. */
export function formatPortRange(ports: { start: number; end: number }): string {
  return ports.start === ports.end ? `${ports.start}` : `${ports.start}-${ports.end}`;
}
