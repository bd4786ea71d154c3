import { createServer } from "node:net";
import { expect } from "vitest";
import { describeWith, it } from "../src";

const connectScript = (host: string, port: number) =>
  `const s=require("net").connect(${port},"${host}");s.setTimeout(1500);` +
  `s.on("connect",()=>{console.log("connected");s.destroy()});` +
  `s.on("timeout",()=>{console.log("timeout");s.destroy()});s.on("error",e=>console.log(e.code))`;

const serveScript = (port: number) =>
  `require("net").createServer(c=>{c.on("error",()=>{});c.end("hi")}).listen(${port},"0.0.0.0",()=>console.log("listening"))`;

describeWith(["root"], "netns hosts", () => {
  it("lets two hosts on one test network reach each other", async ({ network }) => {
    const a = await network.addHost();
    const b = await network.addHost();
    const server = b.exec("node", ["-e", serveScript(7000)]);
    const ended = server.catch(() => {}); // it is killed at the end of the test
    try {
      await new Promise<void>((resolve) => server.stdout?.once("data", () => resolve()));
      const { stdout } = await a.exec("node", ["-e", connectScript(b.address, 7000)]);
      expect(stdout.trim()).toBe("connected");
    } finally {
      server.kill("SIGKILL");
      await ended;
    }
  });

  it("keeps hosts away from other networks and from the machine's own loopback", async ({ network }) => {
    const a = await network.addHost();
    const b = await network.addHost();
    expect(a.address).not.toBe(b.address);
    const rootServer = createServer((c) => c.end("root"));
    await new Promise<void>((resolve) => rootServer.listen(0, "127.0.0.1", resolve));
    const port = (rootServer.address() as { port: number }).port;
    try {
      const toRootLoopback = await a.exec("node", ["-e", connectScript("127.0.0.1", port)]);
      expect(toRootLoopback.stdout.trim()).toBe("ECONNREFUSED");
      const elsewhere = `${network.subnetPrefix.split(".").slice(0, 2).join(".")}.${(Number(network.subnetPrefix.split(".")[2]) + 1) % 256}.2`;
      const toOtherSubnet = await a.exec("node", ["-e", connectScript(elsewhere, 7000)]);
      expect(toOtherSubnet.stdout.trim()).toBe("ENETUNREACH");
      const { stdout: routes } = await a.exec("ip", ["route"]);
      expect(routes).not.toMatch(/default/);
    } finally {
      rootServer.close();
    }
  });
});
