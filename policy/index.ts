// The finetune policy pack, served to the Pulumi CLI: `pulumi preview --policy-pack ./policy`
// (with `--policy-pack-config <file>` to set enforcement levels and ceilings).
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("finetune", { policies: POLICIES });
