import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { documentInProcess, renderTypes, TYPES_FILE } from "../scripts/openapi-types";

describe("generated API types", () => {
  it("match the api's current OpenAPI document (else run npm run generate -w @grove/client)", async () => {
    const expected = await renderTypes(await documentInProcess());
    expect(await readFile(TYPES_FILE, "utf8")).toBe(expected);
  });
});
