import { describe, expect, it } from "vitest";
import { HeadMeter } from "./head-meter";

const measure = (text: string) => new HeadMeter().measure(Buffer.from(text, "latin1"), 0, text.length);

describe("HeadMeter", () => {
  it("counts the target, header names and values without their leading whitespace, as Node does", () => {
    expect(measure("GET /ab HTTP/1.1\r\nHost:  x\r\n\r\n")).toBe(3 + 4 + 1);
    expect(measure("\r\nMKCALENDAR   /ab HTTP/1.1\r\nA:\t \tb c  \r\nE:\r\n\r\n")).toBe(3 + 1 + 5 + 1);
  });

  it("counts an unfinished head so far, each byte once, however it arrives", () => {
    const text = "GET /abc HTTP/1.1\r\nHost: example.test\r\nX-Long:   valu";
    const bytes = Buffer.from(text, "latin1");
    const meter = new HeadMeter();
    for (let end = 1; end <= bytes.length; end += 3) meter.measure(bytes, 0, end);
    expect(meter.measure(bytes, 0, bytes.length)).toBe(4 + 4 + 12 + 6 + 4);
  });

  it("stops at the blank line that ends the head and starts afresh after reset()", () => {
    const meter = new HeadMeter();
    const bytes = Buffer.from("GET / HTTP/1.1\r\nA: b\r\n\r\nGET /next HTTP/1.1\r\n", "latin1");
    expect(meter.measure(bytes, 0, bytes.length)).toBe(3);
    meter.reset();
    expect(meter.measure(bytes, 24, bytes.length)).toBe(5);
  });
});
