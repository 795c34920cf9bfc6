// Start-up probe for the benchmark: runs the dev stack under the mock runtime and prints the time
// from process start to the first registered resource, as JSON.
import * as path from "node:path";
import { runProgram } from "../mockRun";
import { readStackFile } from "../render";

// Run from the project root, whichever way this file was compiled or loaded.
const { config, secretKeys } = readStackFile(path.join(process.cwd(), "Pulumi.dev.yaml"));
let firstResourceMs: number | undefined;
runProgram(config, secretKeys, {
  stack: "dev",
  onRegister: () => {
    firstResourceMs ??= performance.now();
  },
}).then(
  () => process.stdout.write(JSON.stringify({ firstResourceMs })),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
