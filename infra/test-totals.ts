/**
 * Adds up the JSON reports every package's vitest run wrote and prints one plain line,
 * "N passed, N failed, N skipped", so CI shows how many tests ran.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

const root = join(import.meta.dirname, "..");
let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps"]) {
  let names: string[] = [];
  try {
    names = readdirSync(join(root, group));
  } catch {
    continue;
  }
  for (const name of names) {
    let report: VitestReport;
    try {
      report = JSON.parse(readFileSync(join(root, group, name, ".vitest-results.json"), "utf8"));
    } catch {
      continue;
    }
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
