// s3://BUCKET/PREFIX: a prefix of S3 or of an S3-compatible store (MinIO, Ceph RGW: the volume's
// `endpoint` and `region` keys), fetched by a staging Job with the AWS CLI (`staging.s3Image`), with
// the stack's S3 credentials when it has them.
import { S3_SECRET } from "../names";
import { type S3Source, SAFE_PATH, type SourceKind } from "./types";

const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parse(rest: string): S3Source | string {
  const slash = rest.indexOf("/");
  const bucket = slash >= 0 ? rest.slice(0, slash) : rest;
  const prefix = slash >= 0 ? rest.slice(slash + 1) : "";
  if (bucket.length === 0) return "s3:// needs a bucket, e.g. s3://my-bucket/datasets/run-1";
  if (!S3_BUCKET.test(bucket)) {
    return "s3:// bucket must be 3-63 lowercase letters, digits, '.' and '-', e.g. s3://my-bucket/datasets/run-1";
  }
  if (prefix.length > 1024 || !SAFE_PATH.test(prefix)) {
    return "s3:// prefix must be a relative key prefix without '..' (letters, digits, '/', '.', '_', '-', '=', '+', '@', space)";
  }
  return { kind: "s3", bucket, prefix };
}

/** The TCP port of the store: 443 for AWS, else the endpoint's. */
function port(s: S3Source): number {
  if (s.endpoint === undefined) return 443;
  const url = new URL(s.endpoint);
  if (url.port) return Number(url.port);
  return url.protocol === "http:" ? 80 : 443;
}

/** S3 and S3-compatible stores. */
export const S3: SourceKind<S3Source> = {
  scheme: "s3",
  parse,
  format: (s) => `s3://${s.bucket}/${s.prefix}`,
  volumeKeys: ["endpoint", "region"],
  withKeys: (s, keys) => ({
    ...s,
    ...(typeof keys.endpoint === "string" ? { endpoint: keys.endpoint } : {}),
    ...(typeof keys.region === "string" ? { region: keys.region } : {}),
  }),
  fetch: {
    credentials: "s3Credentials",
    image: (images) => images.s3Image,
    argv: (s, target) => [
      "aws",
      "s3",
      "sync",
      `s3://${s.bucket}/${s.prefix}`,
      target,
      "--no-progress",
      ...(s.endpoint !== undefined ? ["--endpoint-url", s.endpoint] : []),
      ...(s.region !== undefined ? ["--region", s.region] : []),
    ],
    env: (_s, hasCredentials) =>
      hasCredentials
        ? [
            {
              name: "AWS_ACCESS_KEY_ID",
              valueFrom: { secretKeyRef: { name: S3_SECRET.name, key: S3_SECRET.accessKeyId } },
            },
            {
              name: "AWS_SECRET_ACCESS_KEY",
              valueFrom: { secretKeyRef: { name: S3_SECRET.name, key: S3_SECRET.secretAccessKey } },
            },
          ]
        : [],
    port,
    warnings: (key, s, hasCredentials) =>
      hasCredentials
        ? []
        : [
            `${key}: ${S3.format(s)} is fetched with no credentials (s3AccessKeyId and s3SecretAccessKey are not set): only a public bucket, or credentials the staging pod gets from its node, will work. Set both with pulumi config set --secret otherwise.`,
          ],
  },
};
