// The benchmark's plain peer: the objects the program declares, registered by a plain program,
// one resource each, under the same mocks, in a process of its own.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { DeclaredObject } from "./engine";

/** A resource of any type, as a plain program declares one. */
class PlainResource extends pulumi.CustomResource {}

/** The plain peer's numbers at one size. */
export interface PlainResult {
  resources: number;
  wallMs: number;
  peakRssMb: number;
}

/**
 * Child mode: the plain peer, in a fresh process. The objects the program declares (read from
 * `file`), registered as one resource each after their namespace, with their retention, under mocks
 * that answer as the program's do (the inputs as the state), timed to the last registered resource.
 */
export async function measurePlain(file: string): Promise<PlainResult> {
  const start = performance.now();
  const objects = JSON.parse(fs.readFileSync(file, "utf8")) as DeclaredObject[];
  let resources = 0;
  let last = 0;
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources++;
        last = performance.now();
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "plain",
    "bench",
    false,
  );
  await pulumi.runtime.runInPulumiStack(async () => {
    let namespace: pulumi.Resource | undefined;
    for (const o of objects) {
      const opts = { retainOnDelete: o.retainOnDelete, dependsOn: namespace ? [namespace] : [] };
      const r = new PlainResource(o.type, o.name, o.inputs, opts);
      if (o.inputs.kind === "Namespace") namespace = r;
    }
    return {};
  });
  await pulumi.runtime.disconnect();
  return { resources, wallMs: last - start, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}
