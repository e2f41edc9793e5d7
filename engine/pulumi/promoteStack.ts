import type { Stack } from "@pulumi/pulumi/automation";
import type { EngineLocation } from "./engineLocator";
import { promoteProject } from "./promoteProgram";
import { openStack } from "./workspace";

export interface PromoteStackOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly product: string;
    readonly inheritedPath?: string;
    readonly extraEnv?: Readonly<Record<string, string>>;
}

/** Opens (creating if needed) a product's promote stack. The program is given to each update. */
export function openPromoteStack(opts: PromoteStackOptions): Promise<Stack> {
    return openStack({
        engine: opts.engine,
        backendUrl: opts.backendUrl,
        passphrase: opts.passphrase,
        projectName: promoteProject,
        stackName: opts.product,
        program: async () => ({}),
        inheritedPath: opts.inheritedPath,
        extraEnv: opts.extraEnv,
    });
}
