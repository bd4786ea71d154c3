import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { until } from "../../test/fixtures";
import { readDirectly } from "./direct-reads";

describe("readDirectly", () => {
  it("reads an accepted socket into the given buffer, pauses and resumes it, and still ends it", async () => {
    const buffer = Buffer.alloc(8);
    const reads: string[] = [];
    let direct = false;
    let accepted: Socket | undefined;
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      accepted = socket;
      direct = readDirectly(socket, buffer, (bytes) => {
        reads.push(buffer.toString("latin1", 0, bytes));
        if (reads.join("").endsWith("|")) socket.pause();
      });
      socket.on("data", () => reads.push("(a data event)"));
      socket.on("end", () => socket.end("bye"));
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    try {
      let received = "";
      client.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
      });
      client.write("more than eight bytes|");
      await until(() => reads.join("") === "more than eight bytes|");
      client.end("after the pause");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reads.join("")).toBe("more than eight bytes|");
      accepted?.resume();
      await until(() => received === "bye");
      expect(direct).toBe(true);
      expect(reads.join("")).toBe("more than eight bytes|after the pause");
      expect(Math.max(...reads.map((r) => r.length))).toBeLessThanOrEqual(8);
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
