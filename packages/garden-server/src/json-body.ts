import { MalformedRequest } from "./errors";

/** Parses a JSON request body, naming the failure the way a reader can act on. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString("utf8");
  if (text.trim() === "") throw new MalformedRequest("EOF: the request body is empty, expected JSON");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedRequest(`malformed JSON in request body: ${(error as Error).message}`);
  }
}
