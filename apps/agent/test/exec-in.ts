import { expect } from "vitest";
import { expectStatus, type TenantScope } from "./cluster-harness";

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/** Reads an exec's SSE output to its end: the streams' text and the exit code. */
export async function readOutput(res: Response): Promise<ExecResult> {
  expect(res.status).toBe(200);
  const text = await res.text();
  const result: ExecResult = { stdout: "", stderr: "", exitCode: undefined };
  for (const block of text.split("\n\n")) {
    const fields = Object.fromEntries(
      block
        .split("\n")
        .filter((l) => l.includes(":"))
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
    );
    if (fields.event === "output") {
      const { stream, data } = JSON.parse(fields.data as string) as {
        stream: "stdout" | "stderr";
        data: string;
      };
      result[stream] += Buffer.from(data, "base64").toString("utf8");
    } else if (fields.event === "exit") {
      result.exitCode = (JSON.parse(fields.data as string) as { exit_code: number }).exit_code;
    }
  }
  return result;
}

/** Runs `command` in an app instance's container (`grove exec`'s api) and waits for its end. */
export async function execIn(
  scope: Pick<TenantScope, "call">,
  app: string,
  index: number,
  command: string[],
): Promise<ExecResult> {
  const created = (await expectStatus(
    await scope.call(`/v1/apps/${app}/instances/${index}/exec`, { method: "POST", json: { command } }),
    201,
  )) as { exec_id: string };
  return readOutput(await scope.call(`/v1/execs/${created.exec_id}/output`));
}
