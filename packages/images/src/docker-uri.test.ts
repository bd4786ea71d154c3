import { describe, expect, it } from "vitest";
import { parseDockerUri, registryScheme } from "./docker-uri";
import { InvalidImage } from "./errors";

describe("parseDockerUri", () => {
  it("reads Garden's host:port/repo#tag form", () => {
    expect(parseDockerUri("docker://127.0.0.1:5000/grove/app#v1")).toEqual({
      registry: "127.0.0.1:5000",
      repository: "grove/app",
      reference: "v1",
    });
  });

  it("defaults the tag to latest and accepts repo:tag and repo@digest", () => {
    expect(parseDockerUri("docker://reg:5000/app").reference).toBe("latest");
    expect(parseDockerUri("docker://reg:5000/app:1.2").reference).toBe("1.2");
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseDockerUri(`docker://reg:5000/app@${digest}`)).toMatchObject({
      repository: "app",
      reference: digest,
    });
  });

  it("maps docker:///name to Docker Hub's library namespace", () => {
    expect(parseDockerUri("docker:///busybox#1.36")).toEqual({
      registry: "registry-1.docker.io",
      repository: "library/busybox",
      reference: "1.36",
    });
  });

  it("refuses malformed references", () => {
    expect(() => parseDockerUri("docker://host-only")).toThrow(InvalidImage);
    expect(() => parseDockerUri("docker://reg/UPPER")).toThrow(InvalidImage);
    expect(() => parseDockerUri("docker://reg/app#bad tag")).toThrow(InvalidImage);
    expect(() => parseDockerUri("docker://reg/../etc#x")).toThrow(InvalidImage);
  });
});

describe("registryScheme", () => {
  it("speaks plain HTTP only to loopback and listed insecure registries", () => {
    expect(registryScheme("127.0.0.1:5000")).toBe("http");
    expect(registryScheme("localhost:5000")).toBe("http");
    expect(registryScheme("registry.example:5000")).toBe("https");
    expect(registryScheme("registry.example:5000", ["registry.example:5000"])).toBe("http");
  });
});
