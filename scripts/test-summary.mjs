// Prints vitest's JSON report (scripts/test.sh) as one closing line: "tests: N passed, N failed, N skipped".
// No report (vitest stopped before writing it) is said as such, and fails.
import fs from 'node:fs';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  console.log(`tests: no report at ${file ?? '(no path given)'}: vitest did not finish`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
