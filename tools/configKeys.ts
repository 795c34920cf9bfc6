// What each config key does, in the words the config reference (docs/config.md) and the stack file's
// JSON Schema show. Types, defaults and secrecy come from the schema itself (tools/configReference.ts);
// a key's entry gives them only where the schema cannot say: a string's meaning (`quantity`) or a
// default decided later than the schema (the job's image). test/configReference.test.ts fails when a
// key of the schema has no entry here, or an entry no key.

/** What a key does, for the reference. */
export interface KeyDoc {
  /** What the key does, in Markdown. A key only Trainer v2 reads starts with "v2 only". */
  readonly text: string;
  /** The default, in words, where the schema has none of its own. */
  readonly default?: string;
  /** What a string holds, where "string" says too little. */
  readonly type?: string;
}

/** The keys of a volume: `jobs.<job>.model`, `.dataset` or `.output`. */
function volumeKeys(which: "model" | "dataset" | "output"): Record<string, KeyDoc> {
  const at = `jobs.<job>.${which}`;
  return {
    [`${at}.existingClaim`]: { text: "Use this PVC as it is. Excludes `size`, `storageClass`, `accessMode`." },
    [`${at}.size`]: { text: `Create a PVC \`<job>-${which}\` of this size.`, type: "quantity" },
    [`${at}.storageClass`]: { text: "StorageClass of the new PVC.", default: "cluster default" },
    [`${at}.accessMode`]: {
      text: "A multi-node job cannot use `ReadWriteOnce`/`ReadWriteOncePod`; the output, a staged volume and a prepared dataset cannot be `ReadOnlyMany`.",
      default: "`ReadWriteOnce` for 1 node, `ReadWriteMany` for more",
    },
  };
}

/** The keys of a volume that may be fetched from a source: `jobs.<job>.model` or `.dataset`. */
function sourceKeys(which: "model" | "dataset"): Record<string, KeyDoc> {
  const at = `jobs.<job>.${which}`;
  return {
    ...volumeKeys(which),
    [`${at}.source`]: {
      text: "Where the data comes from: fetched once by a staging Job, or a PVC used as it is (see [Data sources](data-sources.md)).",
      type: "`hf://…`, `s3://…`, `pvc://…`",
    },
    [`${at}.endpoint`]: {
      text: "S3-compatible endpoint (MinIO, Ceph) of an `s3://` source.",
      type: "http(s) URL",
      default: "AWS",
    },
    [`${at}.region`]: { text: "Region of an `s3://` source.", default: "client default" },
    [`${at}.restage`]: {
      text: "Change it to fetch an `hf://` or `s3://` source again (then prepare and train again).",
    },
  };
}

/** Every key's entry, by its key in the reference. */
export const KEY_DOCS: Readonly<Record<string, KeyDoc>> = {
  namespace: {
    text: "Namespace of the jobs, created by the program unless `createNamespace: false`. A DNS-1123 label; not `default`, `kube-*`, nor `kubeflow` while the operator is installed.",
  },
  createNamespace: {
    text: "Create the namespace (the stack owns it and may delete it: see [Sharing a cluster](sharing-a-cluster.md)), or, with `false`, run in one that exists and never touch it. A namespace that exists and was not created by this stack is refused unless this is `false`.",
  },
  cluster: { text: "The cluster the stack deploys to. Without it, the current context of the default kubeconfig." },
  "cluster.context": { text: "kubeconfig context of the cluster.", default: "current context" },
  "cluster.kubeconfig": {
    text: "Path to a kubeconfig (`~/` allowed). Its contents are accepted too, with a warning: they would sit in clear text in the stack file and the state; use `kubeconfig`.",
    default: "`$KUBECONFIG`'s files / `~/.kube/config` / in-cluster",
  },
  "cluster.skipAwait": {
    text: "For API servers without controllers (the end-to-end suite's first file): every object is annotated `pulumi.com/skipAwait` and deleted in the background (and never replaced as unready), so `wait` and staging waits are off and runs are not judged.",
  },
  trainingOperator: {
    text: "The Kubeflow training operator: whether the stack installs it, and which generation and release the jobs are written for.",
  },
  "trainingOperator.install": { text: "Install the Kubeflow Training Operator." },
  "trainingOperator.version": {
    text: "A `v1.x.y` tag of kubeflow/trainer (the v1 operator: PyTorchJobs) or `v2.3.x` (Kubeflow Trainer v2: TrainJobs). It chooses how jobs are written, also with `install: false` (then it names what the cluster runs). See [Kubeflow Trainer v2](trainer-v2.md).",
  },
  "trainingOperator.source": {
    text: "A kustomize URL, a local rendered YAML file, or a local kustomize folder. For v2: the manager with JobSet.",
    default: "upstream `manifests/overlays/standalone` (v1) or `manifests/overlays/manager` (v2) at `version`",
  },
  "trainingOperator.runtimesSource": {
    text: "v2 only: the built-in ClusterTrainingRuntimes, installed after the manager. Same forms as `source`.",
    default: "upstream `manifests/overlays/runtimes` at `version`",
  },
  "trainingOperator.workerPodSecurity": {
    text: "The Pod Security level the cluster's operator's Worker init container meets (see \"Pod Security\"). Only `restricted` with `install: true`.",
    default: "`restricted` with `install: true`, `baseline` with `install: false`",
  },
  "trainingOperator.trainJobStatus": {
    text: "v2 only, with `install: true`: runs the Trainer v2 manager with the `TrainJobStatus` feature gate (alpha in v2.3) on (`--feature-gates=TrainJobStatus=true`), so that trainers can post their progress to its status server (see [What `pulumi up` says while it waits](runs.md#waiting)). Changing it rolls the manager's Deployment.",
    default: "`false`",
  },
  "trainingOperator.images": {
    text: "With `install: true`: images of the install pulled from a mirror, as kustomize's `images: newName` does (see [Air-gapped clusters](air-gapped.md)). Each key is an image name as the manifests write it, without tag or digest; each value the mirror's name, also without: the manifests' tag and digest are kept. `alpine` (v1) names the operator's Worker init container image (`alpine:3.10`), set through the operator's `--pytorch-init-container-image` flag. With a local rendered `source`, a name that no image of the install has is refused.",
  },
  hfToken: {
    text: "Hugging Face token. Must be set with `--secret`; stored in Secret `hf-token`, key `token`; reaches pods as `HF_TOKEN` via `secretKeyRef`.",
  },
  s3AccessKeyId: { text: "S3 access key for `s3://` sources (with `s3SecretAccessKey`); Secret `s3-credentials`." },
  s3SecretAccessKey: { text: "S3 secret key (with `s3AccessKeyId`)." },
  imagePullSecrets: {
    text: "Registry credentials: a `kubernetes.io/dockerconfigjson` Secret `registry-credentials` that every pod names in `imagePullSecrets`.",
    type: "string (a Docker `config.json`)",
  },
  kubeconfig: {
    text: 'A kubeconfig\'s contents, kept secret in the stack file and the state: `pulumi config set --secret kubeconfig "$(cat ci-kubeconfig)"`. Excludes `cluster.kubeconfig`.',
    type: "string (a kubeconfig's contents)",
  },
  networkPolicy: { text: "Confine the jobs' traffic with NetworkPolicies (see [Security](security.md))." },
  queue: {
    text: "Kueue: the LocalQueue (in the jobs' namespace) of every job that names none (see [Queues](kueue.md#queues-kueue)).",
  },
  queues: {
    text: "Kueue's queue objects, declared by the stack (see \"Queues\"); at most 100 of each kind. A LocalQueue's ClusterQueue, a ClusterQueue's flavor, or a job's queue (when the stack declares LocalQueues) that the stack does not declare is a warning: it must exist on the cluster.",
    default: "none (no queue objects)",
  },
  "queues.resourceFlavors": { text: "Kueue ResourceFlavors, by name." },
  "queues.resourceFlavors.<flavor>.nodeLabels": {
    text: "A ResourceFlavor: the labels of the nodes it stands for.",
    type: "map label → value",
  },
  "queues.clusterQueues": { text: "Kueue ClusterQueues, by name." },
  "queues.clusterQueues.<cq>.cohort": { text: "The Cohort it borrows and lends within." },
  "queues.clusterQueues.<cq>.preemption": { text: "Kueue's `spec.preemption` of the ClusterQueue." },
  "queues.clusterQueues.<cq>.preemption.withinClusterQueue": {
    text: "Which admitted workloads of the ClusterQueue a pending one may preempt (Kueue's `spec.preemption`).",
    default: "Kueue's (`Never`)",
  },
  "queues.clusterQueues.<cq>.preemption.reclaimWithinCohort": {
    text: "Which workloads of the cohort it may preempt to get back quota it lent.",
    default: "Kueue's (`Never`)",
  },
  "queues.clusterQueues.<cq>.namespaces": {
    text: "The namespaces whose LocalQueues may use it.",
    default: "all namespaces",
  },
  "queues.clusterQueues.<cq>.flavors": {
    text: "The ClusterQueue's nominal quota of each resource (`cpu`, `memory`, `pods`, `ephemeral-storage`, `nvidia.com/gpu`...) in each flavor: `flavors: {h100-nodes: {nvidia.com/gpu: 16, cpu: 128}}`. Every flavor of one ClusterQueue quotes the same resources.",
    type: "map flavor → map resource → quantity",
    default: "required (one flavor at least)",
  },
  "queues.localQueues": {
    text: "LocalQueues in the jobs' namespace, each with the ClusterQueue it feeds (`team-a: research`). Jobs submitted to one are created after it.",
    type: "map LocalQueue → ClusterQueue",
  },
  staging: { text: "The Jobs that fetch `hf://` and `s3://` sources into their volumes." },
  "staging.hfImage": { text: "Image with `huggingface_hub` for `hf://` staging.", default: "the job's image" },
  "staging.s3Image": {
    text: "Image with the AWS CLI for `s3://` staging. The default is a tag, which the policy pack's `images-pinned-by-digest` excepts by default (see [Policy pack](policies.md)).",
  },
  "staging.timeout": { text: "How long `pulumi up` waits for a staging or preparation Job.", type: "duration" },
  "staging.resources": { text: "What each staging pod requests." },
  "staging.resources.cpu": { text: "CPU each staging pod requests.", type: "quantity" },
  "staging.resources.memory": { text: "Memory each staging pod requests.", type: "quantity" },
  "staging.resources.memoryLimit": {
    text: "Memory each staging pod may use at most (at least `memory`). Applies to staging Jobs created from now on (see [Sources](data-sources.md#sources)).",
    type: "quantity",
  },
  jobs: {
    text: "Job name → job. Names are DNS-1035 labels short enough for the pods the operator names after them (v1: the `<job>-worker-<i>` Services; Trainer v2: JobSet's `<job>-node-0-<node>-<5 characters>` pods) and the `<job>-stage-dataset` Job (63 characters in all). None: the stack declares its namespace, and the operator when it installs it.",
  },
  "jobs.<job>.image": {
    text: "Container image; a digest pins the run: `@sha256:` and 64 lowercase hex digits (or `sha384`, `sha512`), anything else is refused, as no runtime pulls it.",
  },
  "jobs.<job>.nodes": { text: "Pods (nodes): 1 Master + `nodes - 1` Workers." },
  "jobs.<job>.gpusPerNode": { text: "Accelerators per pod; also `nprocPerNode`." },
  "jobs.<job>.gpuResource": { text: "Extended resource name, e.g. `amd.com/gpu`, `habana.ai/gaudi`." },
  "jobs.<job>.resources": { text: "What each training pod requests, besides its GPUs." },
  "jobs.<job>.resources.cpu": { text: "CPU request per pod.", type: "quantity" },
  "jobs.<job>.resources.memory": { text: "Memory request and limit per pod.", type: "quantity" },
  "jobs.<job>.shmSize": {
    text: "Size of the memory-backed `/dev/shm`; at most `resources.memory`.",
    type: "quantity",
    default: "pod memory limit",
  },
  "jobs.<job>.env": {
    text: "Extra environment variables. `MASTER_ADDR`, `MASTER_PORT`, `WORLD_SIZE`, `RANK`, `PET_*` (operator), `HF_TOKEN` and `CHECKPOINT_DIR` are refused.",
    type: "map string → string",
  },
  "jobs.<job>.model": { text: "Base model, at `/mnt/model`, read-only.", default: "none (required by `instructlab`)" },
  "jobs.<job>.dataset": {
    text: "Training data, at `/mnt/dataset`, read-only.",
    default: "none (required by `instructlab`)",
  },
  "jobs.<job>.output": { text: "Checkpoints, at `/mnt/output`, read-write." },
  "jobs.<job>.output.retain": { text: "Keep the output PVC when the stack is destroyed." },
  "jobs.<job>.output.protect": { text: "Refuse to delete the output PVC (Pulumi `protect`)." },
  "jobs.<job>.trainer": {
    text: "What the training containers run: the InstructLab trainer (`type: instructlab`) or your own argv (`type: command`).",
  },
  "jobs.<job>.trainer.type": { text: "What the containers run." },
  "jobs.<job>.trainer.epochs": { text: "`instructlab`: `--num_epochs`." },
  "jobs.<job>.trainer.learningRate": { text: "`instructlab`: `--learning_rate`." },
  "jobs.<job>.trainer.effectiveBatchSize": { text: "`instructlab`: `--effective_batch_size`." },
  "jobs.<job>.trainer.maxSeqLen": {
    text: "`instructlab`: maximum sequence length of the processed dataset (data preparation).",
  },
  "jobs.<job>.trainer.maxBatchLen": { text: "`instructlab`: `--max_batch_len` (tokens per GPU per step)." },
  "jobs.<job>.trainer.warmupSteps": { text: "`instructlab`: `--num_warmup_steps`." },
  "jobs.<job>.trainer.saveSamples": { text: "`instructlab`: `--save_samples` (0: no sample-based checkpoints)." },
  "jobs.<job>.trainer.checkpointAtEpoch": { text: "`instructlab`: `--checkpoint_at_epoch`." },
  "jobs.<job>.trainer.onDemandCheckpointing": {
    text: "`instructlab`: `--on_demand_checkpointing` (save a full checkpoint when the pods are told to stop, resume from it on the next start); gives the pods a 300 s grace period unless `terminationGracePeriodSeconds` is set. Runs created before it was the default keep their spec until their next rerun. See [Preemption and checkpoints](kueue.md#preemption-and-checkpoints).",
  },
  "jobs.<job>.trainer.seed": { text: "`instructlab`: `--seed`." },
  "jobs.<job>.trainer.distributedBackend": { text: "`instructlab`: `--distributed_training_framework`." },
  "jobs.<job>.trainer.isGranite": { text: "`instructlab`: `--is_granite` (padding-free)." },
  "jobs.<job>.trainer.processData": {
    text: "`instructlab`: run data preparation on `dataFile`; `false` trains on `dataFile` as it is (already processed).",
  },
  "jobs.<job>.trainer.dataFile": {
    text: "`instructlab`: the training data (messages JSONL), relative to the dataset volume.",
  },
  "jobs.<job>.trainer.lora": { text: "`instructlab`: train LoRA adapters instead of the whole model." },
  "jobs.<job>.trainer.lora.rank": { text: "`instructlab`: LoRA rank (`--lora_r`).", default: "none (full fine-tune)" },
  "jobs.<job>.trainer.lora.alpha": { text: "`--lora_alpha`." },
  "jobs.<job>.trainer.lora.dropout": { text: "`--lora_dropout`." },
  "jobs.<job>.trainer.lora.targetModules": { text: "`--lora_target_modules`.", default: "library default" },
  "jobs.<job>.trainer.extraArgs": { text: "`instructlab`: more arguments, appended as given." },
  "jobs.<job>.trainer.command": {
    text: 'The argv, e.g. `[torchrun, train.py, --lr, "1e-5"]`. Never passed through a shell; a shell with `-c` is refused.',
    default: "required for `command`",
  },
  "jobs.<job>.scheduling": { text: "Where and how the training pods are scheduled." },
  "jobs.<job>.scheduling.nodeSelector": { text: "Pod `nodeSelector`.", type: "map label → value" },
  "jobs.<job>.scheduling.tolerations": {
    text: "`key`, `operator` (`Exists`/`Equal`), `value`, `effect`, `tolerationSeconds`.",
    type: "list of tolerations",
  },
  "jobs.<job>.scheduling.affinity": {
    text: "`nodeAffinity`, `podAffinity`, `podAntiAffinity`, as in a pod spec, checked as the API server checks a pod's.",
  },
  "jobs.<job>.scheduling.priorityClassName": { text: "PriorityClass of the pods." },
  "jobs.<job>.scheduling.schedulerName": { text: "E.g. `volcano`.", default: "default scheduler" },
  "jobs.<job>.scheduling.gang": {
    text: "Gang scheduling: `runPolicy.schedulingPolicy.minAvailable` = `nodes`. Only a v1 operator started with `--gang-scheduler-name` acts on it: a warning says so when the stack installs one without it (the upstream overlay, or a local bundle without the flag).",
  },
  "jobs.<job>.scheduling.queue": {
    text: "Volcano queue (with `gang: true`); a Kueue LocalQueue is `jobs.<job>.queue`.",
  },
  "jobs.<job>.runPolicy": { text: "The operator's run policy: retries, deadline, cleanup." },
  "jobs.<job>.runPolicy.cleanPodPolicy": {
    text: "Which pods are deleted when the job ends; `Running` frees the GPUs of pods still running.",
  },
  "jobs.<job>.runPolicy.backoffLimit": { text: "Retries before the job is Failed." },
  "jobs.<job>.runPolicy.restartPolicy": {
    text: "The replicas' `restartPolicy`: `OnFailure` restarts any failed container in place; `ExitCode` recreates a pod only when it exited 128 or more (killed by a signal) and fails the run at once on 1–127. Each retry counts against `backoffLimit`. Not for Trainer v2.",
  },
  "jobs.<job>.runPolicy.activeDeadlineSeconds": { text: "Hard time limit of the run." },
  "jobs.<job>.runPolicy.ttlSecondsAfterFinished": {
    text: "Delete the finished PyTorchJob after this long; `null` keeps it.",
  },
  "jobs.<job>.terminationGracePeriodSeconds": {
    text: "Seconds a training pod has between SIGTERM and SIGKILL when it is stopped (preemption, eviction, deletion). Not for Trainer v2 (the runtime's pod template holds it).",
    default: "none (Kubernetes' 30), `300` with `trainer.onDemandCheckpointing`",
  },
  "jobs.<job>.wait": { text: "What `pulumi up` waits for; `admitted` needs a queue." },
  "jobs.<job>.timeout": {
    text: "How long it waits.",
    type: "duration (`90m`, `2h`, `1h30m`)",
    default: "`1h` (admitted, running), `24h` (succeeded)",
  },
  "jobs.<job>.rerun": {
    text: "Change it to force a new run of an unchanged job (data preparation and training, not staging), e.g. after a failed run.",
  },
  "jobs.<job>.labels": { text: "Extra labels on the PyTorchJob (not `app.kubernetes.io/*`); updated in place." },
  "jobs.<job>.annotations": {
    text: "Extra annotations on the PyTorchJob (not `pulumi.com/*`, `finetune/*`); at most 253,952 bytes of keys and values (the API server's 256 KiB less 8 KiB kept for the program's own); updated in place.",
  },
  "jobs.<job>.securityContext": { text: "The training pods' user and group (see [Security](security.md))." },
  "jobs.<job>.securityContext.runAsUser": {
    text: "Pod user; `0` runs the image as root (see [Security](security.md)).",
    default: "`1000`",
  },
  "jobs.<job>.securityContext.runAsGroup": { text: "Pod group.", default: "`1000`" },
  "jobs.<job>.securityContext.fsGroup": {
    text: "Group that owns the mounted volumes, so the trainer can write checkpoints.",
    default: "`1000`",
  },
  "jobs.<job>.securityContext.runAsNonRoot": {
    text: "Refuse to start a container whose user is root. `false` needs `runAsUser` (`0` to run as root): alone it is refused.",
    default: "`true` (`false` with `runAsUser: 0`)",
  },
  "jobs.<job>.runtime": { text: "v2 only: the runtime the TrainJob runs on, by name.", default: "`torch-distributed`" },
  "jobs.<job>.runtimeKind": {
    text: "v2 only: a cluster-wide runtime, or one in the jobs' namespace.",
    default: "`ClusterTrainingRuntime`",
  },
  "jobs.<job>.queue": {
    text: "Kueue: the LocalQueue the job is submitted to, as the label `kueue.x-k8s.io/queue-name`. A change is a new run.",
    default: "the stack's `queue`, else none",
  },
  "jobs.<job>.workloadPriorityClass": {
    text: "Kueue: a WorkloadPriorityClass for the job's Workload (label `kueue.x-k8s.io/priority-class`); only with a queue. Without it Kueue takes the pods' PriorityClass (`scheduling.priorityClassName`, v1 only). Updated in place.",
  },
  ...sourceKeys("model"),
  ...sourceKeys("dataset"),
  ...volumeKeys("output"),
};
