// `npm run render` exactly as package.json declares it, for tests to spawn with the Node.js that runs
// them (npm itself would add half a second to each of their many runs).
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** The arguments to give `node` for `npm run render -- ...args` (package.json's script after `node`). */
export function renderArgs(...args: string[]): string[] {
  const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.render;
  const [command, ...rest] = script.split(" ");
  if (command !== "node") throw new Error(`package.json's render script does not start with node: ${script}`);
  return [...rest, ...args];
}
