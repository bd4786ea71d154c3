const REASONS: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  505: "HTTP Version Not Supported",
};

/**
 * A complete plain-text response the router writes itself (unknown route, no endpoint, bad
 * request), to be written as latin1: `body` may echo header bytes, which go back as they came.
 */
export function plainResponse(status: number, body: string, requestId: string, close: boolean): string {
  const length = Buffer.byteLength(body, "latin1");
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${length}\r\nX-Request-Id: ${requestId}\r\n` +
    `${close ? "Connection: close\r\n" : ""}\r\n${body}`
  );
}
