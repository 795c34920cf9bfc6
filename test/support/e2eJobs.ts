// Job configs the end-to-end files deploy (`jobs.<job>` of a stack), shared so that each says once
// what a typical run is.

type Json = Record<string, any>;

/** An InstructLab job whose model and dataset are staged from hf:// and prepared, waited for to the end. */
export const ilabJob = (extra: Json = {}): Json => ({
  image: "registry.example.com/ml/instructlab-training:0.10.1",
  model: { source: "hf://ibm-granite/granite-3.1-8b-base", size: "1Gi" },
  dataset: { source: "hf://datasets/acme/granite-sft", size: "1Gi" },
  output: { size: "1Gi" },
  trainer: { type: "instructlab", epochs: 1 },
  wait: "succeeded",
  ...extra,
});
