import { describe, expect, it } from "vitest";
import { StartContacts } from "./start-contacts";

describe("StartContacts", () => {
  it("tells whether a start was heard of after a time, and forgets old contacts", () => {
    const contacts = new StartContacts();
    contacts.touch(["a", "b"], 100);
    contacts.touch(["c"], 200);
    // touched again: counts from the latest contact
    contacts.touch(["a"], 300);
    expect(contacts.heardAfter("a", 250)).toBe(true);
    expect(contacts.heardAfter("b", 250)).toBe(false);
    expect(contacts.heardAfter("unknown", 0)).toBe(false);
    contacts.prune(200);
    expect(contacts.size).toBe(1);
    expect(contacts.heardAfter("a", 250)).toBe(true);
    expect(contacts.heardAfter("c", 100)).toBe(false);
  });
});
