/** Registry and image fixtures other packages' tests use (a real docker-registry on loopback). */
export { type Blob, type BuiltImage, buildImage, buildIndex, OCI_MANIFEST } from "./oci-fixture";
export {
  type BlobTraffic,
  basicAuthProxy,
  pushImage,
  startRegistry,
  type TestRegistry,
  watchingProxy,
} from "./registry-fixture";
