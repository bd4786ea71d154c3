/**
 * Adds up the JSON reports every package's vitest run wrote (and the cgroup v2 guest's, in
 * infra/vm) and prints one plain line, "N passed, N failed, N skipped", so CI shows how many tests ran. Tests that passed only on their
 * retry (CI gives integration tests one) are listed before it: flaky, to be fixed, not hidden; tests
 * that failed are listed too, with their first line of failure, so the end of CI's output names them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

const root = join(import.meta.dirname, "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const flaky: string[] = [];
const failures: string[] = [];
const reportDirs = ["infra/vm"];
for (const group of ["packages", "apps"]) {
  try {
    for (const name of readdirSync(join(root, group))) reportDirs.push(`${group}/${name}`);
  } catch {}
}
for (const dir of reportDirs) {
  let report: VitestReport;
  try {
    report = JSON.parse(readFileSync(join(root, dir, ".vitest-results.json"), "utf8"));
  } catch {
    continue;
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && file.message)
      failures.push(`${dir}: ${file.name.slice(join(root, dir).length + 1)}: ${firstLine(file.message)}`);
    for (const test of file.assertionResults)
      if (test.status === "passed" && test.failureMessages.length > 0) flaky.push(`${dir}: ${test.fullName}`);
      else if (test.status === "failed")
        failures.push(`${dir}: ${test.fullName}: ${firstLine(test.failureMessages[0] ?? "no message")}`);
  }
}
if (flaky.length > 0)
  console.log(`passed only on a retry (flaky):\n${flaky.map((f) => `  ${f}`).join("\n")}`);
if (failures.length > 0) console.log(`failed:\n${failures.map((f) => `  ${f}`).join("\n")}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

function firstLine(message: string): string {
  const line = message.split("\n").find((l) => l.trim() !== "") ?? message;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
