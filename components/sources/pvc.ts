// pvc://CLAIM/PATH: a path on an existing PersistentVolumeClaim, mounted as it is (nothing fetched).
import { DNS1123_SUBDOMAIN } from "../validation";
import { type PvcSource, SAFE_PATH, type SourceKind } from "./types";

function parse(rest: string): PvcSource | string {
  const slash = rest.indexOf("/");
  const claim = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1).replace(/\/+$/, "") : "";
  if (claim.length === 0) return "pvc:// needs a claim name, e.g. pvc://shared-models/granite-3.1-8b";
  if (claim.length > 253 || !DNS1123_SUBDOMAIN.test(claim)) {
    return "pvc:// claim must be a PersistentVolumeClaim name (lowercase letters, digits, '-', '.'), e.g. pvc://shared-models/granite-3.1-8b";
  }
  if (path.length > 1024 || !SAFE_PATH.test(path)) {
    return "pvc:// path must be relative to the claim, without '..'";
  }
  return { kind: "pvc", claim, path };
}

/** Existing PersistentVolumeClaims. */
export const PVC: SourceKind<PvcSource> = {
  scheme: "pvc",
  parse,
  format: (s) => `pvc://${s.claim}/${s.path}`,
  volumeKeys: [],
  withKeys: (s) => s,
  mount: (s) => ({ claimName: s.claim, ...(s.path ? { subPath: s.path } : {}) }),
};
