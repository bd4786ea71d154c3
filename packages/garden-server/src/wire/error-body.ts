import type { GardenError } from "@grove/garden";

/** The body of every Garden error response (garden.Error's marshalled form). */
export interface WireError {
  Type: string;
  Message: string;
  Handle: string;
  ProcessID: string;
  Binary: string;
}

/** Maps any error to the Garden error body and its HTTP status: 404 for a missing container or process. */
export function errorToWire(error: unknown): { status: number; body: WireError } {
  if (isGardenError(error)) {
    const status =
      error.wireType === "ContainerNotFoundError" || error.wireType === "ProcessNotFoundError" ? 404 : 500;
    return {
      status,
      body: {
        Type: error.wireType,
        Message: error.message,
        Handle: error.details?.handle ?? "",
        ProcessID: error.details?.processId ?? "",
        Binary: error.details?.binary ?? "",
      },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { Type: "", Message: message, Handle: "", ProcessID: "", Binary: "" } };
}

/** Duck-typed so errors from another copy of @grove/garden (or a wrapped runtime) still map. */
function isGardenError(error: unknown): error is GardenError {
  return error instanceof Error && typeof (error as Partial<GardenError>).wireType === "string";
}
