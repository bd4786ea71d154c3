import { describe, expect, it } from "vitest";
import { UsageError } from "./errors";
import {
  formatBinary,
  formatBytes,
  formatMegabytes,
  parseCount,
  parseDuration,
  parseMegabytes,
} from "./units";

describe("parseMegabytes", () => {
  it("reads M and G suffixes (any case, optional B/iB) and bare numbers as MiB", () => {
    expect(parseMegabytes("256M", "memory")).toBe(256);
    expect(parseMegabytes("1G", "memory")).toBe(1024);
    expect(parseMegabytes("1.5g", "memory")).toBe(1536);
    expect(parseMegabytes("2GiB", "disk")).toBe(2048);
    expect(parseMegabytes("512", "memory")).toBe(512);
  });

  it("refuses unknown units, fractions of a megabyte and zero, naming the flag and value", () => {
    expect(() => parseMegabytes("12Q", "memory")).toThrow(
      new UsageError('invalid memory "12Q": use a size like 256M or 1G'),
    );
    expect(() => parseMegabytes("0.5M", "disk")).toThrow(/invalid disk "0.5M"/);
    expect(() => parseMegabytes("0", "memory")).toThrow(UsageError);
    expect(() => parseMegabytes("", "memory")).toThrow(UsageError);
  });
});

describe("formatting", () => {
  it("shows whole gigabytes as G and the rest as M", () => {
    expect(formatMegabytes(2048)).toBe("2G");
    expect(formatMegabytes(1536)).toBe("1536M");
  });

  it("shows usage in binary units, like the limits", () => {
    expect(formatBinary(47_400_000)).toBe("45.2M");
    expect(formatBinary(1.5 * 1024 ** 3)).toBe("1.5G");
  });

  it("shows bytes with SI units", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(12_345)).toBe("12.3 kB");
  });

  it("accepts only whole non-negative counts", () => {
    expect(parseCount("3", "instances")).toBe(3);
    expect(() => parseCount("-1", "instances")).toThrow(/invalid instances "-1"/);
  });
});

describe("parseDuration", () => {
  it("reads one number with a unit of s, m, h, d or w as seconds", () => {
    expect(parseDuration("45s", "expires-in")).toBe(45);
    expect(parseDuration("90m", "expires-in")).toBe(5400);
    expect(parseDuration("12H", "expires-in")).toBe(43_200);
    expect(parseDuration("30d", "expires-in")).toBe(2_592_000);
    expect(parseDuration("2w", "expires-in")).toBe(1_209_600);
  });

  it("refuses bare numbers, zero, fractions and unknown units, naming the flag and value", () => {
    expect(() => parseDuration("30", "expires-in")).toThrow(
      new UsageError('invalid expires-in "30": use a duration like 90m, 12h or 30d'),
    );
    for (const text of ["0d", "1.5h", "3y", "1h30m", ""]) {
      expect(() => parseDuration(text, "expires-in")).toThrow(UsageError);
    }
  });
});
