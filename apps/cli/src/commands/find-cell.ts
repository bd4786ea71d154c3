import { ApiError, type Cell, type GroveClient } from "@grove/client";
import { CliError } from "../errors";

/** A cell by id or by name (names are what operators see; the API addresses cells by id). */
export async function findCell(client: GroveClient, idOrName: string): Promise<Cell> {
  try {
    return await client.getCell(idOrName);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const byName = (await client.listCells()).find((cell) => cell.name === idOrName);
  if (!byName) throw new CliError(`no cell ${idOrName}`);
  return byName;
}
