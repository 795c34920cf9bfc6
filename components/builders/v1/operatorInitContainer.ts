// The Kubeflow Training Operator v1 adds an init container, `init-pytorch`, to every Worker pod of
// a PyTorchJob: it waits until the Master's name resolves. Upstream it has no securityContext, so
// Pod Security admission at the `restricted` level refuses every Worker pod. The operator reads
// the container's template from a file (`--pytorch-init-container-template-file`); these pure
// builders give the operator Deployment a template that meets `restricted`.
// @see pkg/controller.v1/pytorch/initcontainer.go in kubeflow/training-operator v1.9.4
import type { InstallOptions } from "../backend";
import type { Container, PodTemplateSpec, PodVolume } from "../k8sTypes";
import { mirrorImage } from "../operatorImages";

/** The pod template annotation that carries the template to the operator's file system. */
export const INIT_CONTAINER_ANNOTATION = "finetune/pytorch-init-container";

/** Where the template is mounted in the operator's container, and the flag that names it. */
export const INIT_CONTAINER_MOUNT = {
  volume: "finetune-init-container",
  dir: "/etc/finetune",
  file: "initContainer.yaml",
};

/** The operator's flag that names the template file. */
export const INIT_CONTAINER_FLAG = "--pytorch-init-container-template-file";

/**
 * The image the operator runs the init container from, unless its flag names another: the
 * default of `--pytorch-init-container-image` (pkg/config/config.go in training-operator v1.9.4).
 * No manifest names it, so `trainingOperator.images` mirrors it through the flag.
 */
export const INIT_IMAGE_DEFAULT = "alpine:3.10";

/** The operator's flag that names the init container's image. */
export const INIT_IMAGE_FLAG = "--pytorch-init-container-image";

/** The unprivileged user the init container runs as (nobody): it only resolves a name. */
export const INIT_CONTAINER_UID = 65534;

/** The name of the operator's Deployment and container in the upstream manifests. */
const OPERATOR = "training-operator";

/**
 * The init container template: upstream's, field for field (the operator fills in the image, the
 * number of tries and the Master's address, a DNS-1035 name it derives from the job name), plus a
 * securityContext that meets `restricted` on its own, so that it is admitted in any job's pod,
 * not only in pods that set a non-root pod security context. The shell loop is the operator's own
 * program; no config value of this stack reaches it.
 */
export function restrictedInitContainerTemplate(): string {
  return [
    "- name: init-pytorch",
    "  image: {{.InitContainerImage}}",
    "  imagePullPolicy: IfNotPresent",
    "  resources:",
    "    limits:",
    "      cpu: 100m",
    "      memory: 20Mi",
    "    requests:",
    "      cpu: 50m",
    "      memory: 10Mi",
    "  securityContext:",
    "    allowPrivilegeEscalation: false",
    "    capabilities:",
    "      drop: [ALL]",
    "    runAsNonRoot: true",
    `    runAsUser: ${INIT_CONTAINER_UID}`,
    `    runAsGroup: ${INIT_CONTAINER_UID}`,
    "    seccompProfile:",
    "      type: RuntimeDefault",
    "  command:",
    "  - sh",
    "  - -c",
    "  - 'err=1;for i in $(seq {{.MaxTries}}); do if nslookup {{.MasterAddr}}; then err=0 && break; fi;echo waiting for master; sleep 2; done; exit $err'",
    "",
  ].join("\n");
}

/** The parts of a Deployment this patch reads and writes. */
interface DeploymentLike {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly template?: PodTemplateSpec };
}

/**
 * The operator Deployment with the restricted template: a pod annotation holds it, a downward API
 * volume turns the annotation into a file, and the operator's flag names that file. No ConfigMap
 * is needed, so the same patch works whether the provider renders the manifests (kustomize) or
 * the program declares them (a local bundle), and a template change rolls the operator. Any other
 * object is returned as it is. `kind` is given apart for provider-rendered objects.
 */
export function withRestrictedInitContainer<T extends object>(
  obj: T,
  kind?: string,
  options?: Pick<InstallOptions, "images">,
): T {
  const o = obj as DeploymentLike;
  if ((kind ?? o.kind) !== "Deployment" || o.metadata?.name !== OPERATOR) return obj;
  const template: PodTemplateSpec = o.spec?.template ?? {};
  const podSpec = template.spec ?? { containers: [] };
  const { volume, dir, file } = INIT_CONTAINER_MOUNT;
  const flag = `${INIT_CONTAINER_FLAG}=${dir}/${file}`;
  const image = mirrorImage(INIT_IMAGE_DEFAULT, options?.images ?? {});
  const imageFlags = image === INIT_IMAGE_DEFAULT ? [] : [`${INIT_IMAGE_FLAG}=${image}`];
  // A source's own image flag is kept unless the stack mirrors the image.
  const ours = (a: string) =>
    a.startsWith(`${INIT_CONTAINER_FLAG}=`) || (imageFlags.length > 0 && a.startsWith(`${INIT_IMAGE_FLAG}=`));
  const containers: Container[] = podSpec.containers.map((c) =>
    c.name !== OPERATOR
      ? c
      : {
          ...c,
          args: [...(c.args ?? []).filter((a) => !ours(a)), flag, ...imageFlags],
          volumeMounts: [
            ...(c.volumeMounts ?? []).filter((m) => m.name !== volume),
            { name: volume, mountPath: dir, readOnly: true },
          ],
        },
  );
  const volumes: PodVolume[] = [
    ...(podSpec.volumes ?? []).filter((v) => v.name !== volume),
    {
      name: volume,
      downwardAPI: {
        items: [{ path: file, fieldRef: { fieldPath: `metadata.annotations['${INIT_CONTAINER_ANNOTATION}']` } }],
      },
    },
  ];
  const annotations = {
    ...template.metadata?.annotations,
    [INIT_CONTAINER_ANNOTATION]: restrictedInitContainerTemplate(),
  };
  return {
    ...obj,
    spec: {
      ...o.spec,
      template: {
        ...template,
        metadata: { ...template.metadata, annotations },
        spec: { ...podSpec, containers, volumes },
      },
    },
  };
}
