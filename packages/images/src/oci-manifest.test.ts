import { describe, expect, it } from "vitest";
import { InvalidImage } from "./errors";
import {
  imageDefaults,
  imageRunConfig,
  isIndex,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  parseManifest,
  pickPlatform,
} from "./oci-manifest";

const d = (n: string) => `sha256:${n.repeat(64)}`;

describe("manifest handling", () => {
  it("asks for all four manifest and index media types", () => {
    for (const type of Object.values(MEDIA_TYPES)) expect(MANIFEST_ACCEPT).toContain(type);
  });

  it("tells indexes from manifests by media type or shape", () => {
    expect(isIndex({}, MEDIA_TYPES.dockerList)).toBe(true);
    expect(isIndex({ manifests: [] })).toBe(true);
    expect(isIndex({ layers: [] }, MEDIA_TYPES.ociManifest)).toBe(false);
  });

  it("picks linux/amd64 from an index, falling back to a platform-less entry", () => {
    const index = {
      manifests: [
        { digest: d("1"), platform: { os: "linux", architecture: "arm64" } },
        { digest: d("2"), platform: { os: "linux", architecture: "amd64" } },
      ],
    };
    expect(pickPlatform("u", index).digest).toBe(d("2"));
    expect(pickPlatform("u", { manifests: [{ digest: d("3") }] }).digest).toBe(d("3"));
    expect(() => pickPlatform("u", { manifests: [index.manifests[0]] })).toThrow(InvalidImage);
  });

  it("refuses schema 1 and bad descriptors, and takes zstd layers", () => {
    expect(() => parseManifest("u", { schemaVersion: 1 })).toThrow(InvalidImage);
    expect(() => parseManifest("u", { schemaVersion: 2, config: { digest: "x" }, layers: [] })).toThrow(
      InvalidImage,
    );
    const zstd = {
      schemaVersion: 2,
      config: { digest: d("1") },
      layers: [{ digest: d("2"), mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" }],
    };
    expect(parseManifest("u", zstd).layers).toHaveLength(1);
  });

  it("reads env, working dir and user from an image config", () => {
    expect(imageDefaults({ config: { Env: ["A=1"], WorkingDir: "/app", User: "vcap" } })).toEqual({
      env: ["A=1"],
      workingDir: "/app",
      user: "vcap",
    });
    expect(imageDefaults({})).toEqual({});
  });

  it("reads Entrypoint, Cmd and the exposed TCP ports in order", () => {
    const config = {
      config: {
        Entrypoint: ["/bin/web"],
        Cmd: ["--port", "8000"],
        ExposedPorts: { "8000/tcp": {}, "53/udp": {}, "9000/tcp": {} },
        User: "app",
      },
    };
    expect(imageRunConfig(config)).toEqual({
      entrypoint: ["/bin/web"],
      cmd: ["--port", "8000"],
      exposedPorts: [8000, 9000],
      user: "app",
    });
    expect(imageRunConfig({})).toEqual({ entrypoint: [], cmd: [], exposedPorts: [] });
  });

  it("refuses foreign layers, naming them", () => {
    const manifest = (layer: Record<string, unknown>) => ({
      schemaVersion: 2,
      config: { digest: d("c") },
      layers: [{ digest: d("a"), ...layer }],
    });
    expect(() =>
      parseManifest(
        "docker://r/x",
        manifest({ mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" }),
      ),
    ).toThrow(/foreign layer sha256:a+ .*not supported/);
    expect(() => parseManifest("docker://r/x", manifest({ urls: ["https://example.com/l"] }))).toThrow(
      InvalidImage,
    );
  });
});
