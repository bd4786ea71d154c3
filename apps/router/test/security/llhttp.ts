import { createRequire } from "node:module";

/** One request as llhttp read it. */
export interface ParsedRequest {
  method: string;
  url: string;
  /** "1.1", "1.0", … */
  version: string;
  /** name, value, name, value, … */
  headers: string[];
  /** latin1 */
  body: string;
  /** llhttp reached the end of the message */
  complete: boolean;
  /** the connection may carry another request after this one */
  keepAlive: boolean;
  /** the request asks to switch protocols: llhttp reads no further */
  upgrade: boolean;
}

interface HttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code: string });
  close(): void;
  [callback: number]: unknown;
}

interface HttpParserClass {
  new (): HttpParser;
  REQUEST: number;
  kLenientNone: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

// Node's own binding of llhttp, as its HTTP server drives it: the oracle the router is held to
const { HTTPParser, methods } = createRequire(import.meta.url)("_http_common") as {
  HTTPParser: HttpParserClass;
  methods: string[];
};

/**
 * Node's HTTP request parser (llhttp) with the settings of a default `node:http` server: strict
 * (no lenient flags) and the default 16 KiB header limit (unless told otherwise). Fed a byte stream, it keeps every request
 * it read and the error that stopped it, if any.
 */
export class Llhttp {
  readonly requests: ParsedRequest[] = [];
  /** llhttp's error code (HPE_*), once it gave up on the stream */
  error: string | undefined;
  private readonly parser = new HTTPParser();
  private pendingHeaders: string[] = [];
  private pendingUrl = "";

  /**
   * `maxHeaderSize`: the header limit in bytes as Node counts them; 0 for Node's default
   * (`--max-http-header-size`, 16 KiB unless set)
   */
  constructor(onRequest: (request: ParsedRequest) => void = () => undefined, maxHeaderSize = 0) {
    const parser = this.parser;
    parser.initialize(HTTPParser.REQUEST, {}, maxHeaderSize, HTTPParser.kLenientNone);
    parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      this.pendingHeaders.push(...headers);
      this.pendingUrl += url;
    };
    parser[HTTPParser.kOnHeadersComplete] = (
      major: number,
      minor: number,
      headers: string[] | undefined,
      method: number,
      url: string | undefined,
      _status: unknown,
      _reason: unknown,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      this.requests.push({
        method: methods[method] ?? String(method),
        url: url || this.pendingUrl,
        version: `${major}.${minor}`,
        headers: headers ? [...this.pendingHeaders, ...headers] : this.pendingHeaders,
        body: "",
        complete: false,
        keepAlive,
        upgrade,
      });
      this.pendingHeaders = [];
      this.pendingUrl = "";
      return 0;
    };
    parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
      const current = this.requests.at(-1) as ParsedRequest;
      current.body += chunk.toString("latin1");
    };
    parser[HTTPParser.kOnMessageComplete] = () => {
      const current = this.requests.at(-1) as ParsedRequest;
      current.complete = true;
      // trailers come through kOnHeaders: they are not the next request's
      this.pendingHeaders = [];
      this.pendingUrl = "";
      onRequest(current);
    };
  }

  feed(bytes: Buffer): void {
    if (this.error !== undefined) return;
    const result = this.parser.execute(bytes);
    if (typeof result !== "number") this.error = result.code;
  }

  close(): void {
    this.parser.close();
  }

  /** the requests llhttp read to their end */
  get complete(): ParsedRequest[] {
    return this.requests.filter((request) => request.complete);
  }
}

/** What llhttp makes of `bytes` sent on one connection. */
export function llhttpParse(bytes: Buffer): Llhttp {
  const parser = new Llhttp();
  parser.feed(bytes);
  parser.close();
  return parser;
}
