// The program's own version, as the stack outputs give it: package.json's `version`, which is a
// release's version (CHANGELOG.md: `## 0.1.0 (...)`) at a release's commit, and the next release's
// with `-dev` between releases (docs/upgrading.md).
import * as fs from "node:fs";
import * as path from "node:path";

/** The version in the package.json beside the program (`root`: the project's folder). */
export function programVersion(root: string = path.resolve(__dirname, "..")): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: unknown };
  if (typeof version !== "string") throw new Error(`${path.join(root, "package.json")} has no version`);
  return version;
}
