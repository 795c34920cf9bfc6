// Runs the real program (`declareStack(loadConfig())` after `verifyConfigSecrets`, as index.ts does) under the Pulumi SDK's
// mock runtime, with no engine and no cluster, and records every resource it registers with its
// inputs and lifecycle options. The offline render and the unit tests both use it.
import * as pulumi from "@pulumi/pulumi";
import type { HeldRuns } from "../components/cluster/heldJobs";
import type { ClusterReader } from "../components/cluster/reader";
import { loadConfig, verifyConfigSecrets } from "../components/config";
import { declareStack } from "../components/stack";

/** The SDK's `pulumi.log.warn`, as loaded. */
const SDK_WARN = pulumi.log.warn;

/** Pulumi's marker for a secret value in serialized inputs. */
export const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The lifecycle options of a registered resource, with resources given by name. */
export interface RecordedOptions {
  readonly parent?: string;
  readonly provider?: string;
  readonly dependsOn: string[];
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly deleteBeforeReplace?: boolean;
  readonly replaceOnChanges?: string[];
  readonly ignoreChanges?: string[];
  readonly customTimeouts?: pulumi.CustomTimeouts;
  readonly transforms: pulumi.ResourceTransform[];
  /** The names of the hooks bound to it, by step, once every transform above it has run. */
  readonly hooks: Readonly<Record<string, string[]>>;
}

/** One resource the program registered. */
export interface RecordedResource {
  /** Type token, e.g. `kubernetes:core/v1:Namespace`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  /** Whether the engine's provider manages it (false for components). */
  readonly custom: boolean;
  /** Inputs as the engine would receive them; secrets wrapped in Pulumi's secret marker. */
  inputs: Record<string, unknown>;
  /** The provider reference the engine would use (`urn::id`), for custom resources. */
  providerRef?: string;
  readonly options: RecordedOptions;
}

/** The result of a program run. */
export interface ProgramRun {
  /** Resources in registration order (the stack resource excluded). */
  readonly resources: RecordedResource[];
  /** The stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
  /** The warnings the program logged (`pulumi.log.warn`), in order. */
  readonly warnings: string[];
}

/** A stack's config: `finetune:key` to the value as the engine passes it (objects as JSON text). */
export type StackConfig = Record<string, string>;

function resourceName(r: unknown): string | undefined {
  return (r as { __name?: string } | undefined)?.__name;
}

function names(input: unknown): string[] {
  if (!Array.isArray(input)) return input === undefined ? [] : [resourceName(input) ?? "?"];
  return input.map((r) => resourceName(r) ?? "?");
}

/** Hook names by step, as the engine records them. */
function hookNames(hooks: pulumi.ResourceHookBinding | undefined): Record<string, string[]> {
  const bound: Record<string, string[]> = {};
  for (const [step, list] of Object.entries(hooks ?? {})) {
    const named = (list as { name?: string }[]).map((h) => h.name ?? "?");
    if (named.length > 0) bound[step] = named;
  }
  return bound;
}

/**
 * Applies the transforms of a resource and of its ancestors, nearest first, as the engine does
 * (the SDK's mock runtime applies none). Only synchronous transforms: the program has no other.
 */
function applyTransforms(
  args: pulumi.ResourceTransformArgs,
  chain: readonly pulumi.ResourceTransform[],
): { props: pulumi.Inputs; opts: pulumi.ResourceOptions } {
  let { props, opts } = args;
  for (const transform of chain) {
    const result = transform({ ...args, props, opts });
    if (result instanceof Promise) throw new Error(`the fake engine runs only synchronous transforms (${args.type})`);
    if (result !== undefined) ({ props, opts } = result);
  }
  return { props, opts };
}

/** The value of a `dependsOn` given as an Output (resolved at the end of the run), or as it is. */
async function resolved(input: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(input)) return input;
  return (input as unknown as { promise(): Promise<unknown> }).promise();
}

/** True for a value that Pulumi serialized as a secret. */
export function isSecretValue(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIGNATURE] === SECRET_SIGNATURE_VALUE
  );
}

/** The part of a resource's inputs that the fake engine returns as its state. */
function echoed(inputs: Record<string, unknown>, echo: "inputs" | "identity"): Record<string, unknown> {
  if (echo === "inputs") return inputs;
  const { apiVersion, kind, metadata } = inputs;
  return { apiVersion, kind, metadata };
}

/**
 * The SDK's mock runtime, set as the fake engine needs it: the project (`finetune`, this
 * repository's, unless given), the organization the CLI passes for a stack of a self-managed
 * backend (file://, s3://), and resource hooks accepted (the SDK's mock monitor says it supports
 * them but has no method to register one).
 */
export function setMocks(mocks: pulumi.runtime.Mocks, stack: string, preview: boolean, project = "finetune"): void {
  pulumi.runtime.setMocks(mocks, project, stack, preview, "organization");
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, unknown>;
  monitor.registerResourceHook ??= (_request: unknown, callback: (error: null, response: object) => void) =>
    callback(null, {});
}

/** Options of a program run. */
export interface RunOptions {
  /** The stack name. @default "test" */
  readonly stack?: string;
  /** The project name (Pulumi.yaml's `name`). @default "finetune" */
  readonly project?: string;
  /**
   * Extra state the fake engine returns for a resource, as a provider would after creating it
   * (a PyTorchJob's `status`, say). @default none: the state is the inputs
   */
  readonly state?: (resource: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
  }) => Record<string, unknown> | undefined;
  /**
   * What the fake engine returns as each resource's state (before `state`'s extra): `"inputs"`, the
   * whole object, as a provider echoes it; `"identity"`, only its `apiVersion`, `kind` and
   * `metadata`. Outside a preview the SDK fills every output the engine leaves out with the input
   * (runtime/rpc.js resolveOutputs), so the program reads back the same values either way.
   * @default "inputs"
   */
  readonly echo?: "inputs" | "identity";
  /** Called as the fake engine registers each resource (the benchmark times these). */
  readonly onRegister?: (type: string, name: string) => void;
  /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()`). @default false: as `pulumi up` */
  readonly preview?: boolean;
  /**
   * Check the shape of secret values before declaring anything, as index.ts does. Off for the
   * offline render, which cannot decrypt them and passes a placeholder.
   * @default true
   */
  readonly verifySecrets?: boolean;
  /** The most jobs the stack may hold: only the benchmark lifts it. @default MAX_JOBS */
  readonly maxJobs?: number;
  /** The cluster the program reads. @default the stack's kubeconfig's, as under the CLI */
  readonly cluster?: ClusterReader;
  /** The jobs of the runs the cluster holds, as index.ts reads them first. @default none: a new stack */
  readonly held?: HeldRuns;
}

/**
 * Runs the program against `config` (`secretKeys` marks which keys are secrets) and records what
 * it declares. Rejects with the program's error (a `ConfigError` for bad config).
 */
export async function runProgram(
  config: StackConfig,
  secretKeys: string[] = [],
  options: RunOptions = {},
): Promise<ProgramRun> {
  const byKey = new Map<string, RecordedResource>();
  const order: RecordedResource[] = [];
  const key = (type: string, name: string) => `${type}::${name}`;
  let nextId = 0;

  setMocks(
    {
      newResource(args) {
        options.onRegister?.(args.type, args.name);
        const entry = byKey.get(key(args.type, args.name));
        if (entry) {
          entry.inputs = args.inputs;
          entry.providerRef = args.provider;
        }
        const metadata = args.inputs?.metadata as { name?: string; namespace?: string } | undefined;
        const id = metadata?.name
          ? [metadata.namespace, metadata.name].filter(Boolean).join("/")
          : `${args.name}-id-${nextId++}`;
        const extra = options.state?.({ type: args.type, name: args.name, inputs: args.inputs });
        return { id, state: { ...echoed(args.inputs, options.echo ?? "inputs"), ...extra } };
      },
      call(args) {
        return args.inputs;
      },
    },
    options.stack ?? "test",
    options.preview ?? false,
    options.project,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);
  // Validated before the stack starts, as index.ts does at load: bad config declares nothing.
  const validated = loadConfig(options.maxJobs);
  if (options.verifySecrets ?? true) await verifyConfigSecrets(validated);

  // As the CLI's Node.js runtime does (cmd/run), an error that rejects an Output the engine awaits
  // surfaces as an unhandled rejection and fails the run; it is recorded here instead of reaching
  // the test runner's own handlers.
  const uncaught: unknown[] = [];
  // Warnings are recorded and passed on to whoever else records them (a test), but not to the
  // SDK's own, which prints them to the console when no engine is connected.
  const warnings: string[] = [];
  const log = pulumi.log as { warn: (msg: string, ...rest: unknown[]) => Promise<void> };
  const passOn = log.warn;
  log.warn = async (msg: string, ...rest: unknown[]) => {
    warnings.push(msg);
    if (passOn !== SDK_WARN) await passOn(msg, ...rest);
  };
  const onUncaught = (e: unknown) => {
    if (!uncaught.includes(e)) uncaught.push(e);
  };
  const runnerHandlers = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", onUncaught);
  let outputs: unknown;
  // `dependsOn` given as Outputs (resources known only once others are declared), read at the end.
  const lateDependencies: [string[], unknown][] = [];
  // Each resource's own transforms and its parent, to apply its ancestors' transforms to it.
  const transformsOf = new WeakMap<pulumi.Resource, pulumi.ResourceTransform[]>();
  const parentOf = new WeakMap<pulumi.Resource, pulumi.Resource | undefined>();
  try {
    outputs = await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => {
        const own = (args.opts.transforms ?? []) as pulumi.ResourceTransform[];
        transformsOf.set(args.resource, own);
        parentOf.set(args.resource, args.opts.parent);
        const chain = [...own];
        for (let p = args.opts.parent; p !== undefined; p = parentOf.get(p)) chain.push(...(transformsOf.get(p) ?? []));
        const custom = args.resource instanceof pulumi.CustomResource;
        const transformed = applyTransforms(
          { type: args.type, name: args.name, custom, props: args.props, opts: args.opts },
          chain,
        );
        const o = transformed.opts as pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
        const recorded: RecordedResource = {
          type: args.type,
          name: args.name,
          custom,
          inputs: {},
          options: {
            parent: resourceName(o.parent),
            provider: resourceName(o.provider),
            dependsOn: pulumi.Output.isInstance(o.dependsOn) ? [] : names(o.dependsOn),
            protect: o.protect,
            retainOnDelete: o.retainOnDelete,
            deleteBeforeReplace: o.deleteBeforeReplace,
            replaceOnChanges: o.replaceOnChanges,
            ignoreChanges: o.ignoreChanges,
            customTimeouts: o.customTimeouts,
            transforms: own,
            hooks: hookNames(o.hooks),
          },
        };
        if (pulumi.Output.isInstance(o.dependsOn)) lateDependencies.push([recorded.options.dependsOn, o.dependsOn]);
        byKey.set(key(args.type, args.name), recorded);
        order.push(recorded);
        return chain.length > 0 ? { props: transformed.props, opts: transformed.opts } : undefined;
      });
      return declareStack(validated, {
        ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
        ...(options.held !== undefined ? { held: options.held } : {}),
      });
    });
  } catch (e) {
    onUncaught(e);
  } finally {
    // Wait for every outstanding registration (the stack's outputs among them) before the next
    // run, and for the rejections they leave to surface.
    await pulumi.runtime.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", onUncaught);
    for (const handler of runnerHandlers) process.on("unhandledRejection", handler);
    log.warn = passOn;
  }
  if (uncaught.length > 0) throw uncaught[0];
  for (const [list, input] of lateDependencies) list.push(...names(await resolved(input)));
  return { resources: order, outputs: (outputs ?? {}) as Record<string, unknown>, warnings };
}
