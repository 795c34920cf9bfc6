// `npm run bench`: how the program's cost grows with the number of jobs, and what a
// `pulumi preview` waits for before the engine starts. Prints numbers; never fails on speed.
//
// For 1, 10, 100 and 500 generated jobs (500 is the most a stack may hold; a realistic mix:
// multi-node, staged sources, secrets, NetworkPolicies), and 1,000 with that limit lifted for the
// measurement (the program itself refuses them), each size runs in its own process: the real
// program under the SDK's mock runtime (as render does), timed to the last registered resource, with
// its peak RSS; as a floor, the same manifests built by the pure builders and serialized to YAML; and,
// as a peer, a plain program registering the objects the program declares, one resource each, under
// the same mocks, in a process of its own. Then start-up: process start to the first registered
// resource for the dev stack under ts-node (Pulumi's default, and transpile only as Pulumi.yaml runs
// it), tsx and precompiled JavaScript; and `npm run render` of the air-gapped stack, cold and warm.
//
// One module per part: stacks.ts (the generated stacks), mock.ts (the mock runtime, with floor.ts
// and plain.ts), startup.ts, render.ts and engine.ts (the real engine on a loopback cluster).
import * as os from "node:os";
import { fmt } from "./child";
import { engineBench } from "./engine";
import { measureSize, mockBench } from "./mock";
import { measurePlain } from "./plain";

/** The sizes the real-engine part measures. */
const ENGINE_SIZES = [1, 10, 100];

async function main(): Promise<void> {
  const childAt = process.argv.indexOf("--size");
  if (childAt >= 0) {
    process.stdout.write(JSON.stringify(await measureSize(Number(process.argv[childAt + 1]))));
    return;
  }
  const plainAt = process.argv.indexOf("--plain");
  if (plainAt >= 0) {
    process.stdout.write(JSON.stringify(await measurePlain(process.argv[plainAt + 1])));
    return;
  }
  console.log(
    `finetune benchmark: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node.js ${process.version}`,
  );
  // `--engine` runs only the real-engine part, `--mocks` only the mock-runtime part.
  if (!process.argv.includes("--engine")) await mockBench();
  if (!process.argv.includes("--mocks")) {
    console.log("");
    // `--engine-sizes=1,10` measures other sizes than 1, 10 and 100.
    const sizes = process.argv.find((a) => a.startsWith("--engine-sizes="))?.slice("--engine-sizes=".length);
    await engineBench(sizes ? sizes.split(",").map(Number) : ENGINE_SIZES);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
