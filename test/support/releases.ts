// The releases the CHANGELOG records: `## VERSION (DATE, commit SHA)` headings, newest first, and
// whether this clone holds a release's commit.
import { execFileSync } from "node:child_process";

/** One release: its version, date and the commit it is. */
export interface Release {
  readonly version: string;
  readonly date: string;
  readonly commit: string;
}

const HEADING = /^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2}), commit ([0-9a-f]{7,40})\)$/;

/** The releases of a CHANGELOG's text, in the order written (newest first). */
export function releases(changelog: string): Release[] {
  return changelog.split("\n").flatMap((line) => {
    const m = HEADING.exec(line);
    return m ? [{ version: m[1], date: m[2], commit: m[3] }] : [];
  });
}

const git = (root: string, ...args: string[]) =>
  execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();

/** What this clone can say of commit `sha`. */
export type CommitCheck =
  | { readonly held: true }
  | { readonly held: false; readonly shallow: boolean; readonly why: string };

/**
 * Whether the clone at `root` holds commit `sha`. A shallow clone is deepened first (`git fetch
 * --unshallow`, from wherever it was cloned from); one that still lacks the commit cannot tell
 * whether the repository has it (`shallow`), a full one can.
 */
export function checkCommit(root: string, sha: string): CommitCheck {
  const holds = () => {
    try {
      return git(root, "cat-file", "-t", sha) === "commit";
    } catch {
      return false;
    }
  };
  if (holds()) return { held: true };
  let shallow = false;
  try {
    shallow = git(root, "rev-parse", "--is-shallow-repository") === "true";
    if (shallow) git(root, "fetch", "--quiet", "--unshallow");
  } catch {
    // Nowhere to fetch from: said below.
  }
  if (holds()) return { held: true };
  return shallow
    ? {
        held: false,
        shallow,
        why: `commit ${sha} is not in this shallow clone, and git fetch --unshallow could not bring it`,
      }
    : { held: false, shallow, why: `commit ${sha} is not in this repository` };
}

/** Whether the CHANGELOG's `## Unreleased` section says anything (changes not yet released). */
export function hasUnreleased(changelog: string): boolean {
  const m = /^## Unreleased\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(changelog);
  return m !== null && m[1].trim() !== "";
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-dev)?$/;

/**
 * What is wrong with package.json's `version` (none: undefined): it must be the newest release's
 * when nothing is unreleased, and a later version with `-dev` while something is.
 */
export function versionProblem(version: string, newest: string | undefined, unreleased: boolean): string | undefined {
  const m = SEMVER.exec(version);
  if (m === null) return `package.json's version ${version} is not MAJOR.MINOR.PATCH, with -dev or without`;
  if (!unreleased) {
    return version === newest ? undefined : `package.json's version ${version} is not the newest release's (${newest})`;
  }
  if (m[4] === undefined) return `the CHANGELOG has unreleased changes: package.json's version ${version} needs -dev`;
  const n = newest === undefined ? undefined : SEMVER.exec(newest);
  const later =
    n === undefined || n === null || [1, 2, 3].map((i) => Number(m[i]) - Number(n[i])).find((d) => d !== 0)! > 0;
  return later ? undefined : `package.json's version ${version} is not after the newest release's (${newest})`;
}
