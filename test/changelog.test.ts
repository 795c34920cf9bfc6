// The CHANGELOG records every release: a heading with its version, date and commit, the newest
// first, the newest being package.json's version, each commit one this repository holds.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { programVersion } from "../components/version";
import { checkCommit, hasUnreleased, releases, versionProblem } from "./support/releases";

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

  it("package.json's version is the newest release's, or the next one's with -dev while changes are unreleased", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    assert.equal(versionProblem(version, releases(text)[0]?.version, hasUnreleased(text)), undefined);
  });

  it("tells a released version from a development one", () => {
    assert.equal(
      hasUnreleased("# Changelog\n\n## Unreleased\n\n- a fix\n\n## 0.1.0 (2026-12-04, commit 81491ad)\n"),
      true,
    );
    assert.equal(hasUnreleased("# Changelog\n\n## Unreleased\n\n## 0.1.0 (2026-12-04, commit 81491ad)\n- x\n"), false);
    assert.equal(hasUnreleased("# Changelog\n\n## Unreleased\n\n- the last change\n"), true);
    assert.equal(versionProblem("0.1.0", "0.1.0", false), undefined);
    assert.equal(versionProblem("0.2.0-dev", "0.1.0", true), undefined);
    assert.equal(versionProblem("0.1.1-dev", "0.1.0", true), undefined);
    assert.equal(versionProblem("1.0.0-dev", "0.9.3", true), undefined);
    assert.equal(
      versionProblem("0.1.0", "0.1.0", true),
      "the CHANGELOG has unreleased changes: package.json's version 0.1.0 needs -dev",
    );
    assert.equal(
      versionProblem("0.1.0-dev", "0.1.0", true),
      "package.json's version 0.1.0-dev is not after the newest release's (0.1.0)",
    );
    assert.equal(
      versionProblem("0.2.0-dev", "0.1.0", false),
      "package.json's version 0.2.0-dev is not the newest release's (0.1.0)",
    );
    assert.equal(
      versionProblem("v0.2", "0.1.0", true),
      "package.json's version v0.2 is not MAJOR.MINOR.PATCH, with -dev or without",
    );
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

  it("the program's version, which the stack outputs give, is package.json's", () => {
    assert.equal(programVersion(), JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-version-"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "finetune" }));
    assert.throws(() => programVersion(dir), { message: `${path.join(dir, "package.json")} has no version` });
    fs.rmSync(dir, { recursive: true });
  });
});
