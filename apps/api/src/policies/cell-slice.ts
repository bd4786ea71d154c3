import type { PolicySlice } from "@grove/protocol";
import type { PolicyInputs } from "../repo/policies";
import { type ControlPlaneUrls, controlPlaneOf, egressSlices } from "./egress-slices";
import { policySlices } from "./slices";

/**
 * The slice one cell enforces, cut from the cluster's inputs: the peer rules that concern its
 * containers (`policySlices`) and their egress (`egressSlices`), stamped with the revision the
 * inputs were read at. Undefined for a cell not in service (it keeps what it enforces).
 */
export function cellSlice(
  inputs: PolicyInputs,
  cellId: string,
  controlPlane: ControlPlaneUrls,
): PolicySlice | undefined {
  if (!inputs.cellIds.includes(cellId)) return undefined;
  const peers = policySlices([cellId], inputs.policies, inputs.instances).get(cellId);
  const egress = egressSlices(
    [cellId],
    inputs.egress,
    inputs.instances,
    controlPlaneOf(controlPlane, inputs.cellAddresses),
  ).get(cellId);
  if (!peers || !egress) return undefined;
  return { revision: inputs.revision, ...peers, egress };
}
