// hf://ORG/NAME[@REVISION]: a Hugging Face Hub repository (`models/` or `datasets/` may prefix
// ORG/NAME), fetched by a staging Job with huggingface_hub, in the stack's hf image or the job's own.
import { HF_TOKEN_SECRET } from "../names";
import type { HfSource, SourceKind, SourceRole } from "./types";

const HF_SEGMENT = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const HF_REVISION = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/**
 * The Python program a staging Job runs for hf:// sources. It is a constant: the repository,
 * revision and target arrive as argv elements, never inside the program text.
 */
export const HF_DOWNLOAD_PROGRAM = [
  "import sys",
  "from huggingface_hub import snapshot_download",
  "repo_type, repo_id, revision, target = sys.argv[1:5]",
  "path = snapshot_download(repo_id=repo_id, repo_type=repo_type, revision=revision or None, local_dir=target)",
  'print("staged", repo_type, repo_id, revision or "(default branch)", "into", path)',
].join("\n");

function parse(rest: string, role: SourceRole): HfSource | string {
  const example = `e.g. hf://ibm-granite/granite-3.1-8b-base or hf://${role === "dataset" ? "datasets/" : ""}ORG/NAME@REVISION`;
  let body = rest;
  let repoType: "model" | "dataset" = role;
  if (body.startsWith("datasets/")) {
    repoType = "dataset";
    body = body.slice("datasets/".length);
  } else if (body.startsWith("models/")) {
    repoType = "model";
    body = body.slice("models/".length);
  }
  const at = body.lastIndexOf("@");
  const repo = at >= 0 ? body.slice(0, at) : body;
  const revision = at >= 0 ? body.slice(at + 1) : undefined;
  const parts = repo.split("/");
  if (parts.length !== 2 || !parts.every((p) => HF_SEGMENT.test(p))) {
    return `hf:// needs ORG/NAME (letters, digits, '-', '_', '.'), ${example}`;
  }
  if (revision !== undefined && (revision.length === 0 || revision.length > 255 || !HF_REVISION.test(revision))) {
    return `hf:// revision after '@' must be a branch, tag or commit, ${example}`;
  }
  return { kind: "hf", repo, repoType, ...(revision !== undefined ? { revision } : {}) };
}

/** Hugging Face Hub repositories. */
export const HF: SourceKind<HfSource> = {
  scheme: "hf",
  parse,
  format: (s) =>
    `hf://${s.repoType === "dataset" ? "datasets/" : ""}${s.repo}${s.revision !== undefined ? `@${s.revision}` : ""}`,
  volumeKeys: [],
  withKeys: (s) => s,
  fetch: {
    credentials: "hfToken",
    image: (images, jobImage) => images.hfImage ?? jobImage,
    argv: (s, target) => ["python3", "-c", HF_DOWNLOAD_PROGRAM, s.repoType, s.repo, s.revision ?? "", target],
    // The Hub cache points at a scratch volume: the image's own home may not be writable.
    env: (_s, hasToken) => [
      { name: "HF_HOME", value: "/tmp/huggingface" },
      { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
      ...(hasToken
        ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: HF_TOKEN_SECRET.name, key: HF_TOKEN_SECRET.key } } }]
        : []),
    ],
    port: () => 443,
    warnings: () => [],
  },
};
