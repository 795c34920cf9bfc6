// The mock-runtime part of `npm run bench`: the stacks it measures and its plain peer.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { MAX_JOBS, parseStackConfig } from "../components/config";
import { medianOf } from "../tools/bench/child";
import { MOCK_SIZES } from "../tools/bench/mock";
import { measurePlain } from "../tools/bench/plain";
import { generateStack } from "../tools/bench/stacks";

describe("npm run bench, mock runtime part", () => {
  it("measures stacks up to the most jobs a stack may hold, and twice that with the limit lifted", () => {
    assert.deepEqual(MOCK_SIZES, [1, 10, 100, 500, 1000]);
    assert.equal(MAX_JOBS, 500);
    for (const n of MOCK_SIZES) {
      const { config, secretKeys } = generateStack(n);
      const secrets = new Set(secretKeys.map((k) => k.replace(/^finetune:/, "")));
      if (n > MAX_JOBS) {
        assert.throws(
          () => parseStackConfig(config, secrets),
          /finetune:jobs: has 1000 jobs; at most 500 fit in one stack/,
        );
      }
      const parsed = parseStackConfig(config, secrets, undefined, Math.max(n, MAX_JOBS));
      assert.equal(Object.keys(parsed.jobs).length, n);
    }
  });

  it("registers each object of the plain peer as one resource", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "finetune-bench-test-"));
    try {
      const file = path.join(dir, "objects.json");
      const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } };
      const claim = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "out", namespace: "bench" } };
      fs.writeFileSync(
        file,
        JSON.stringify([
          { type: "kubernetes:core/v1:Namespace", name: "bench", inputs: namespace, retainOnDelete: true },
          { type: "kubernetes:core/v1:PersistentVolumeClaim", name: "out", inputs: claim, retainOnDelete: true },
        ]),
      );
      const result = await measurePlain(file);
      // The two objects and the stack, counted as the program's run counts its registrations.
      assert.equal(result.resources, 3);
      assert.ok(result.wallMs > 0 && result.peakRssMb > 0, JSON.stringify(result));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes each number's median over the runs, on its own", () => {
    const runs = [
      { wallMs: 30, peakRssMb: 800 },
      { wallMs: 10, peakRssMb: 900 },
      { wallMs: 20, peakRssMb: 600 },
    ];
    let i = 0;
    assert.deepEqual(
      medianOf(3, () => JSON.stringify(runs[i++])),
      { wallMs: 20, peakRssMb: 800 },
    );
    assert.equal(i, 3);
  });
});
