import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { decodeOrThrow, LogLine, MAX_LOG_LINE_CHARS, subjects } from "@grove/protocol";
import { describeWith, it, type TestNats } from "@grove/testkit";
import { eventually } from "@grove/testkit/services";
import { expect, onTestFinished } from "vitest";
import { shipLines } from "../src/log-shipper";

const identity = { cellId: "cell-1" };

async function shipped(nats: TestNats) {
  const source = { tenantId: randomUUID(), appId: randomUUID(), instanceId: randomUUID(), index: 0 };
  const nc = await nats.connect();
  const reader = await nats.connect();
  onTestFinished(async () => {
    await nc.close();
    await reader.close();
  });
  const lines: string[] = [];
  let chars = 0;
  reader.subscribe(subjects.logs(identity.cellId, source.tenantId, source.appId, source.instanceId), {
    callback: (_err, msg) => {
      const line = decodeOrThrow(LogLine, msg.data).line;
      lines.push(line);
      chars += line.length + 1;
    },
  });
  await reader.flush();
  return { nc, source, lines, received: () => chars };
}

describeWith(["nats"], "log shipping", () => {
  it("ships characters split across read chunks whole, and cuts long lines between characters", async ({
    nats,
  }) => {
    const { nc, source, lines } = await shipped(nats);
    const long = "😀".repeat(MAX_LOG_LINE_CHARS); // twice the limit in UTF-16 units
    const bytes = Buffer.from(`grüße 😀\n${long}\nend`);
    const chunks = [];
    for (let at = 0; at < bytes.length; at += 7) chunks.push(bytes.subarray(at, at + 7));
    shipLines(nc, identity, source, "stdout", Readable.from(chunks));
    await eventually(async () => (lines.at(-1) === "end" ? true : undefined));
    expect(lines[0]).toBe("grüße 😀");
    expect(lines.slice(1, -1).join("")).toBe(long);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS);
      expect(line).not.toContain("\ufffd");
      expect(line).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    }
  });

  it("reads output no faster than NATS takes it (bounded, in order)", async ({ nats }) => {
    const { nc, source, lines, received } = await shipped(nats);
    const line = `${"x".repeat(1023)}\n`;
    const total = 32 * 1024; // lines of 1 KiB: 32 MiB
    let produced = 0;
    let widestGap = 0;
    const output = new Readable({
      read() {
        widestGap = Math.max(widestGap, produced - received());
        if (produced >= total * line.length) return void this.push(null);
        const chunk = Buffer.from(line.repeat(64));
        produced += chunk.length;
        this.push(chunk);
      },
    });
    shipLines(nc, identity, source, "stdout", output);
    await eventually(async () => (lines.length === total ? true : undefined), 60_000);
    expect(widestGap).toBeLessThan(8 * 1024 * 1024);
  });
});
