// The CHANGELOG records every release: a heading with its version, date and commit, the newest
// first, the newest being package.json's version, each commit one this repository holds.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { checkCommit, releases } from "./support/releases";

const ROOT = path.resolve(__dirname, "..");
const text = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");

describe("CHANGELOG", () => {
  it("reads release headings, newest first", () => {
    assert.deepEqual(
      releases("## Unreleased\n\n## 0.2.0 (2026-12-06, commit abcdef1)\n## 0.1.0 (2026-12-04, commit 81491ad)\n"),
      [
        { version: "0.2.0", date: "2026-12-06", commit: "abcdef1" },
        { version: "0.1.0", date: "2026-12-04", commit: "81491ad" },
      ],
    );
  });

  it("its newest release is package.json's version", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    assert.equal(releases(text)[0]?.version, version);
  });

  // A shallow clone that cannot be deepened cannot tell: said, as a skip.
  const checks = releases(text).map((r) => ({ release: r, check: checkCommit(ROOT, r.commit) }));
  const unknown = checks.flatMap(({ check }) => (!check.held && check.shallow ? [check.why] : []));
  it("each release's commit is in this repository", { skip: unknown.length > 0 && unknown.join("; ") }, () => {
    assert.deepEqual(
      checks.flatMap(({ release, check }) => (check.held ? [] : [`${release.version}: ${check.why}`])),
      [],
    );
  });
});
