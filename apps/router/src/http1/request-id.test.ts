import { expect, it } from "vitest";
import { requestIds } from "./request-id";

it("makes distinct UUID-shaped ids, and different ones in another generator", () => {
  const next = requestIds();
  const ids = Array.from({ length: 1000 }, next);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(new Set(ids).size).toBe(1000);
  expect(ids).not.toContain(requestIds()());
});
