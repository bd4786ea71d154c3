import type { Cell } from "../api-types";
import { ScrollTable, When } from "./parts";

const number = new Intl.NumberFormat("en");

/** Every cell: state, capacity and what is free (operators). */
export function Cells({ cells }: { cells: Cell[] }) {
  return (
    <>
      <h1>Cells</h1>
      {cells.length === 0 ? (
        <p>No cells have joined.</p>
      ) : (
        <ScrollTable label="Cells">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Zone</th>
              <th scope="col">State</th>
              <th scope="col">Memory free of capacity</th>
              <th scope="col">Disk free of capacity</th>
              <th scope="col">Containers free of capacity</th>
              <th scope="col">Instances</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {cells.map((cell) => (
              <tr>
                <td>{cell.name}</td>
                <td>{cell.zone}</td>
                <td>{cell.state}</td>
                <td>{freeOf(cell.available?.memory_mb, cell.capacity.memory_mb, " MB")}</td>
                <td>{freeOf(cell.available?.disk_mb, cell.capacity.disk_mb, " MB")}</td>
                <td>{freeOf(cell.available?.containers, cell.capacity.containers, "")}</td>
                <td>{cell.instances ?? "unknown"}</td>
                <td>
                  <When at={cell.last_heartbeat_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      )}
    </>
  );
}

/** "1,024 MB free of 4,096 MB", or just the capacity when the cell has not reported. */
export function freeOf(free: number | undefined, capacity: number, unit: string): string {
  const total = `${number.format(capacity)}${unit}`;
  return free === undefined
    ? `${total} (free not reported)`
    : `${number.format(free)}${unit} free of ${total}`;
}
