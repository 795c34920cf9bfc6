// The README is the front door and docs/ the manual: the README stays short, every page of the manual
// is reachable from it, and every link between them lands on a file and, with an anchor, a heading.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { anchors, docPages, ROOT, relativeLinks, slug } from "./support/docs";

describe("the README and the manual", () => {
  it("the README is under 300 lines", () => {
    const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
    assert.ok(lines < 300, `README.md has ${lines} lines`);
  });

  it("every page of docs/ is linked from the README", () => {
    const linked = new Set(relativeLinks("README.md").map((href) => href.split("#")[0]));
    assert.deepEqual(
      docPages().filter((page) => page !== "README.md" && !linked.has(page)),
      [],
    );
  });

  it("every relative link resolves to a file, and every anchor to a heading of it", () => {
    const broken: string[] = [];
    for (const page of docPages()) {
      for (const href of relativeLinks(page)) {
        const [file, anchor] = href.split("#");
        const target = file === "" ? page : path.relative(ROOT, path.join(ROOT, path.dirname(page), file));
        if (!fs.existsSync(path.join(ROOT, target))) broken.push(`${page}: ${href} (no file ${target})`);
        else if (anchor !== undefined && !anchors(target).has(anchor)) broken.push(`${page}: ${href} (no heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("reads anchors as GitHub makes them", () => {
    assert.deepEqual(
      ["Node.js versions", "Preview, up, watch, destroy", "What `pulumi up` says", "Queues (Kueue)"].map(slug),
      ["nodejs-versions", "preview-up-watch-destroy", "what-pulumi-up-says", "queues-kueue"],
    );
  });
});
