import { InvalidImage } from "./errors";

export interface RegistryRef {
  /** host[:port] */
  registry: string;
  repository: string;
  /** a tag, or a digest "sha256:…" */
  reference: string;
}

const DOCKER_HUB = "registry-1.docker.io";

/**
 * Parses `docker://host:port/repo#tag` (Garden's form), also accepting `repo:tag`, `repo@sha256:…`
 * and `docker:///repo` for Docker Hub (where a bare name gets the `library/` prefix).
 */
export function parseDockerUri(uri: string): RegistryRef {
  let rest = uri.slice("docker://".length);
  let reference = "latest";
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    reference = rest.slice(hash + 1) || "latest";
    rest = rest.slice(0, hash);
  }
  let registry: string;
  if (rest.startsWith("/")) {
    registry = DOCKER_HUB;
    rest = rest.slice(1);
  } else {
    const slash = rest.indexOf("/");
    if (slash <= 0) throw new InvalidImage(uri, "expected docker://host[:port]/repository#tag");
    registry = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
  const at = rest.indexOf("@");
  if (at !== -1) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon !== -1 && !rest.slice(colon).includes("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (registry === DOCKER_HUB && !rest.includes("/")) rest = `library/${rest}`;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(rest)) {
    throw new InvalidImage(uri, `invalid repository name ${JSON.stringify(rest)}`);
  }
  if (!/^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$/.test(reference)) {
    throw new InvalidImage(uri, `invalid tag or digest ${JSON.stringify(reference)}`);
  }
  return { registry, repository: rest, reference };
}

/** Loopback registries are spoken to over plain HTTP; others too when listed as insecure. */
export function registryScheme(registry: string, insecure: string[] = []): "http" | "https" {
  const host = registry.replace(/:\d+$/, "");
  const loopback = host === "localhost" || host.startsWith("127.") || host === "[::1]";
  return loopback || insecure.includes(registry) ? "http" : "https";
}
