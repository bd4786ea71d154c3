export { type Api, type ApiOptions, createApi } from "./api";
export { API_QUEUE } from "./cells/register-responder";
export { type Config, ConfigSchema, InvalidConfig, loadConfig } from "./config";
export * from "./errors";
export { backupStreams, JetStreamBackupFailed, restoreStreams, type StreamBackup } from "./nats/backup";
export { BITS_BUCKET } from "./nats/bits-store";
export { type SweepAges, sweepVolumeData } from "./volumes/sweep";
export {
  exportVolume,
  importVolume,
  openVolumeData,
  type StoredArchive,
  VolumeTransferFailed,
} from "./volumes/transfer";
