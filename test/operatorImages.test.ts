// trainingOperator.images: every image of the operator install this stack makes, pulled from a
// mirror (kustomize's `images: newName`, tags and digests kept), for air-gapped clusters.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mirrorImage, withMirroredImages } from "../components/builders/operatorImages";
import { withRestrictedInitContainer } from "../components/builders/v1/operatorInitContainer";
import { operatorTransform } from "../components/trainingOperator";
import { OPERATOR_V1_BUNDLE, TRAINER_V2_BUNDLE, TRAINER_V2_RUNTIMES } from "../harness/paths";
import { inOperatorInstall } from "../policy/operatorInstall";
import { urnOf } from "./support/policyEval";
import { problemsOf } from "./support/problems";
import { runStack } from "./support/stacks";

const MIRROR = "registry.internal.example.com:5000/mirror";

/** Every image of every container (and init container) of the given objects, sorted. */
function imagesOf(objects: readonly unknown[]): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) {
      for (const item of v) {
        if ((key === "containers" || key === "initContainers") && typeof item?.image === "string") {
          found.push(item.image);
        }
        walk(item);
      }
    } else if (typeof v === "object" && v !== null) {
      for (const [k, child] of Object.entries(v)) walk(child, k);
    }
  };
  walk(objects);
  return [...new Set(found)].sort();
}

/** The objects of the operator install in a run. */
function installObjects(run: Awaited<ReturnType<typeof runStack>>): Record<string, any>[] {
  return run.resources.filter((r) => r.custom && inOperatorInstall(urnOf(run, r))).map((r) => r.inputs);
}

describe("mirrorImage", () => {
  const images = {
    "ghcr.io/kubeflow/training-v1/training-operator": `${MIRROR}/training-operator`,
    alpine: `${MIRROR}/alpine`,
    "localhost:5000/team/x": "mirror.example.com/x",
  };
  const table: [string, string][] = [
    ["ghcr.io/kubeflow/training-v1/training-operator:v1-93c5489", `${MIRROR}/training-operator:v1-93c5489`],
    [
      `ghcr.io/kubeflow/training-v1/training-operator@sha256:${"a".repeat(64)}`,
      `${MIRROR}/training-operator@sha256:${"a".repeat(64)}`,
    ],
    [
      `ghcr.io/kubeflow/training-v1/training-operator:v1@sha256:${"b".repeat(64)}`,
      `${MIRROR}/training-operator:v1@sha256:${"b".repeat(64)}`,
    ],
    ["alpine:3.10", `${MIRROR}/alpine:3.10`],
    ["alpine", `${MIRROR}/alpine`],
    // The registry's port is not a tag.
    ["localhost:5000/team/x:1.0", "mirror.example.com/x:1.0"],
    ["localhost:5000/team/x", "mirror.example.com/x"],
    // Names are matched whole, as kustomize matches them: no prefixes, no registry defaulting.
    [
      "ghcr.io/kubeflow/training-v1/training-operator-extra:v1",
      "ghcr.io/kubeflow/training-v1/training-operator-extra:v1",
    ],
    ["docker.io/library/alpine:3.10", "docker.io/library/alpine:3.10"],
    ["pytorch/pytorch:2.13.0", "pytorch/pytorch:2.13.0"],
  ];
  for (const [image, expected] of table) {
    it(`${image} -> ${expected}`, () => assert.equal(mirrorImage(image, images), expected));
  }

  it("rewrites containers and init containers anywhere in an object, and nothing else", () => {
    /** A runtime whose init container runs `initImage`; other fields name images that are not containers'. */
    const runtime = (initImage: string) => ({
      kind: "ClusterTrainingRuntime",
      metadata: { name: "r", annotations: { image: "alpine:3.10" } },
      spec: {
        template: {
          spec: {
            replicatedJobs: [
              {
                template: {
                  spec: {
                    template: {
                      spec: {
                        initContainers: [{ name: "i", image: initImage }],
                        containers: [
                          { name: "c", image: "pytorch/pytorch:2.13.0", env: [{ name: "image", value: "alpine" }] },
                        ],
                      },
                    },
                  },
                },
              },
            ],
          },
        },
      },
    });
    const obj = runtime("alpine:3.10");
    assert.deepEqual(withMirroredImages(obj, images), runtime(`${MIRROR}/alpine:3.10`));
    assert.equal(withMirroredImages(obj, {}), obj);
  });
});

describe("trainingOperator.images", () => {
  it("mirrors the v1 operator's image and its Worker init container's (a flag of the operator)", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: {},
      trainingOperator: {
        source: OPERATOR_V1_BUNDLE,
        images: {
          "ghcr.io/kubeflow/training-v1/training-operator": `${MIRROR}/training-operator`,
          alpine: `${MIRROR}/alpine`,
        },
      },
    });
    const objects = installObjects(run);
    assert.deepEqual(imagesOf(objects), [`${MIRROR}/training-operator:v1-93c5489`]);
    const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "training-operator");
    const container = deployment?.spec.template.spec.containers.find((c: any) => c.name === "training-operator");
    assert.deepEqual(
      container.args.filter((a: string) => a.startsWith("--pytorch-init-container-image")),
      [`--pytorch-init-container-image=${MIRROR}/alpine:3.10`],
    );
  });

  it("leaves the v1 operator's init container flag alone unless alpine is mirrored", async () => {
    const run = await runStack({
      namespace: "ml",
      jobs: {},
      trainingOperator: {
        source: OPERATOR_V1_BUNDLE,
        images: { "ghcr.io/kubeflow/training-v1/training-operator": "m/op" },
      },
    });
    const deployment = installObjects(run).find(
      (o) => o.kind === "Deployment" && o.metadata.name === "training-operator",
    );
    const args: string[] = deployment?.spec.template.spec.containers[0].args ?? [];
    assert.deepEqual(
      args.filter((a) => a.startsWith("--pytorch-init-container-image")),
      [],
    );
  });

  it("keeps an init container image flag the source sets when alpine is not mirrored, and replaces it when it is", () => {
    const deployment = (args: string[]) => ({
      kind: "Deployment",
      metadata: { name: "training-operator" },
      spec: { template: { spec: { containers: [{ name: "training-operator", image: "op:1", args }] } } },
    });
    const argsOf = (d: any): string[] => d.spec.template.spec.containers[0].args;
    const own = "--pytorch-init-container-image=mine.example.com/alpine:3.10";
    assert.deepEqual(argsOf(withRestrictedInitContainer(deployment(["--x", own]), undefined, { images: {} })), [
      "--x",
      own,
      "--pytorch-init-container-template-file=/etc/finetune/initContainer.yaml",
    ]);
    assert.deepEqual(
      argsOf(withRestrictedInitContainer(deployment(["--x", own]), undefined, { images: { alpine: "m/alpine" } })),
      [
        "--x",
        "--pytorch-init-container-template-file=/etc/finetune/initContainer.yaml",
        "--pytorch-init-container-image=m/alpine:3.10",
      ],
    );
  });

  it("mirrors Trainer v2's manager, JobSet and the built-in runtimes' images", async () => {
    const images = {
      "ghcr.io/kubeflow/trainer/trainer-controller-manager": `${MIRROR}/trainer-controller-manager`,
      "registry.k8s.io/jobset/jobset": `${MIRROR}/jobset`,
      "ghcr.io/kubeflow/trainer/dataset-initializer": `${MIRROR}/dataset-initializer`,
      "ghcr.io/kubeflow/trainer/model-initializer": `${MIRROR}/model-initializer`,
      "pytorch/pytorch": `${MIRROR}/pytorch`,
    };
    const run = await runStack({
      namespace: "ml",
      jobs: {},
      trainingOperator: { version: "v2.3.0", source: TRAINER_V2_BUNDLE, runtimesSource: TRAINER_V2_RUNTIMES, images },
    });
    const mirrored = imagesOf(installObjects(run));
    for (const image of [
      `${MIRROR}/trainer-controller-manager:v2.3.0`,
      `${MIRROR}/jobset:v0.12.0`,
      `${MIRROR}/dataset-initializer:v2.3.0`,
      `${MIRROR}/model-initializer:v2.3.0`,
      `${MIRROR}/pytorch:2.13.0-cuda13.0-cudnn9-runtime`,
    ]) {
      assert.ok(mirrored.includes(image), `${image} in ${mirrored.join(", ")}`);
    }
    for (const name of Object.keys(images)) {
      assert.deepEqual(
        mirrored.filter((i) => i.startsWith(`${name}:`)),
        [],
        name,
      );
    }
  });

  it("mirrors objects the provider renders (a kustomize or remote source) through the transform", () => {
    const transform = operatorTransform({
      trainJobStatus: false,
      images: { "registry.k8s.io/jobset/jobset": "m/jobset" },
    });
    const props = {
      metadata: { name: "jobset-controller-manager" },
      spec: {
        template: { spec: { containers: [{ name: "manager", image: "registry.k8s.io/jobset/jobset:v0.12.0" }] } },
      },
    };
    const result = transform({ type: "kubernetes:apps/v1:Deployment", name: "x", props, opts: {} } as any);
    assert.deepEqual(result?.props.spec.template.spec.containers, [{ name: "manager", image: "m/jobset:v0.12.0" }]);
  });

  it("refuses what would not mirror anything", () => {
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        jobs: {},
        trainingOperator: {
          install: false,
          images: { alpine: "m/alpine" },
        },
      }),
      [
        "finetune:trainingOperator.images: applies only when this stack installs the operator (install: true): it rewrites the images of the install; on a cluster whose operator another stack installs, set it there",
      ],
    );
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        jobs: {},
        trainingOperator: {
          images: { "alpine:3.10": "m/alpine", "ghcr.io/kubeflow/training-v1/training-operator": "m/op:v1", "": "m/x" },
        },
      }),
      [
        'finetune:trainingOperator.images["alpine:3.10"]: must be an image name without a tag or digest, as the install\'s manifests write it (e.g. ghcr.io/kubeflow/training-v1/training-operator, alpine)',
        "finetune:trainingOperator.images.ghcr.io/kubeflow/training-v1/training-operator: must be the mirror's image name without a tag or digest (the install's tag or digest is kept), e.g. registry.example.com/kubeflow/training-operator",
        'finetune:trainingOperator.images[""]: must be an image name without a tag or digest, as the install\'s manifests write it (e.g. ghcr.io/kubeflow/training-v1/training-operator, alpine)',
      ],
    );
  });

  it("refuses a name that no image of a local bundle has (a typo would pull from the internet)", () => {
    assert.deepEqual(
      problemsOf({
        namespace: "ml",
        jobs: {},
        trainingOperator: { source: OPERATOR_V1_BUNDLE, images: { "ghcr.io/kubeflow/training-operator": "m/op" } },
      }),
      [
        "finetune:trainingOperator.images.ghcr.io/kubeflow/training-operator: is no image of the install (its images: alpine (the Worker init container), ghcr.io/kubeflow/training-v1/training-operator)",
      ],
    );
  });
});
