import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { EngineLocation } from "./engineLocator";
import { enginePath, packageRoot } from "./engineLocator";

/** The local program this package ships for the plain Pulumi CLI (`pulumi preview --diff` of the next release). */
export const promoteProgramDir = path.join(packageRoot, "programs", "promote");

/** Where a product's promote stack lives, for the plain Pulumi CLI. */
export interface PromoteStackInfo {
    readonly backendUrl: string;
    readonly project: string;
    readonly stack: string;
    /** The Automation API's workspace: its Pulumi.yaml and the stack's settings file. */
    readonly workspace: string;
    /** `Pulumi.<stack>.yaml` in the workspace: the passphrase salt (the plain CLI needs the same file). */
    readonly settingsFile: string;
    /** The shipped local program (a Pulumi project named like the promote stack's). */
    readonly program: string;
    /** The `pulumi` executable the engine runs. */
    readonly pulumi: string;
    /** The PATH Pulumi needs: this Node.js, then the engine's directory (language host, provider shim). */
    readonly path: string;
}

export function promoteStackInfo(
    stack: Stack,
    o: { readonly engine: EngineLocation; readonly backendUrl: string; readonly inheritedPath?: string },
): PromoteStackInfo {
    const workspace = stack.workspace.workDir;
    return {
        backendUrl: o.backendUrl,
        project: "promotions",
        stack: stack.name,
        workspace,
        settingsFile: path.join(workspace, `Pulumi.${stack.name}.yaml`),
        program: promoteProgramDir,
        pulumi: o.engine.pulumi,
        path: enginePath(o.engine, o.inheritedPath ?? process.env.PATH ?? ""),
    };
}
