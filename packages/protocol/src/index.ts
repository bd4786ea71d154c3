export { ApplyPeers, CellNetwork, ipv4Cidr, OverlayMode, PeerCell } from "./cell-network";
export {
  CellHeartbeat,
  CellStateSync,
  CellStateSyncReply,
  ImagePullProgress,
  InstanceDetail,
  InstanceSummary,
  InstanceUsage,
  RegisterCellReply,
  RegisterCellRequest,
} from "./cells";
export {
  type DecodeResult,
  decode,
  decodeEither,
  decodeOrThrow,
  encode,
  onRejectedMessage,
  type RejectionListener,
  serialize,
} from "./codec";
export {
  CellCommand,
  CommandReply,
  commandIdempotencyKey,
  HealthCheck,
  InstanceImage,
  InstanceVolume,
  MAX_START_BATCH,
  RefusedStart,
  RegistryCredentials,
  RemoveVolume,
  SealedCredentials,
  StartInstance,
  StartInstances,
  StopInstance,
} from "./commands";
export {
  bitsDigest,
  InstanceState,
  id,
  idPattern,
  isoTimestamp,
  label,
  PortMapping,
  Resources,
  sealKey,
} from "./common";
export {
  InvalidMessage,
  type InvalidMessageKind,
  InvalidSubjectToken,
  type MessageIssue,
  ProtocolError,
} from "./errors";
export { InstanceEvent, InstanceEvents, MAX_EVENT_BATCH } from "./events";
export {
  EXEC_OUTPUT_WINDOW_BYTES,
  ExecControl,
  ExecOutput,
  ExecReply,
  ExecRequest,
  ExecSignal,
  MAX_EXEC_CHUNK_BYTES,
} from "./exec";
export { ApplyNames, INTERNAL_ZONE, InternalName } from "./internal-names";
export { LogLine, MAX_LOG_LINE_CHARS } from "./logs";
export {
  defineMessage,
  type MessageInputOf,
  type MessageOf,
  type MessageType,
  PROTOCOL_VERSION,
  versionAt,
  versionField,
} from "./message";
export {
  EgressProtocol,
  EgressRule,
  EgressSlice,
  Ipv4Network,
  PolicyChanged,
  PolicyRule,
  PolicySlice,
  PolicySliceReply,
  PolicySliceRequest,
  PortRange,
} from "./policy";
export {
  ROUTE_PRUNE_THRESHOLD_SECONDS,
  ROUTE_REGISTER_INTERVAL_SECONDS,
  RouteRegistration,
  RouterStart,
} from "./router";
export {
  BITS_BUCKET,
  type CellSender,
  cellOfSubject,
  cellSender,
  DEAD_LETTERS_STREAM,
  INSTANCE_EVENTS_STREAM,
  parseLegacyLogSubject,
  parseLogSubject,
  subjects,
} from "./subjects";
export {
  MAX_VOLUME_CHUNK_BYTES,
  VOLUME_DATA_BUCKET,
  VolumeTransferReply,
  VolumeTransferRequest,
} from "./volume-transfer";
