import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { redactDeep } from "../model/redact";
import { tokens } from "../model/tokens";
import type { AccessToken, TokenStore } from "./accessTokens";
import type { EngineLocation } from "./engineLocator";
import { withLockRetry } from "./releaseStore";
import { readStackResources } from "./stateBackend";
import { openStack } from "./workspace";

/**
 * Where API tokens live: the `access` stack of the `promotions-access` project, in the Pulumi backend the user
 * already has. Not beside the holds in `promotions-releases`: those stacks are per product and tokens are
 * not, and a token write then never waits on a release's record writes (nor they on it). One component per
 * token whose outputs are its record, hash included, never the token itself.
 */
export const accessProject = "promotions-access";
export const accessStack = "access";
const tokenType = tokens.AccessToken;

class AccessTokenResource extends pulumi.ComponentResource {
    constructor(name: string, args: { token: AccessToken }) {
        super(tokenType, name, args);
        this.registerOutputs({ token: args.token });
    }
}

export interface AccessStoreOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly inheritedPath?: string;
}

export class AccessStore implements TokenStore {
    private stack?: Promise<Stack>;

    constructor(private readonly opts: AccessStoreOptions) {}

    private open(): Promise<Stack> {
        this.stack ??= openStack({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            projectName: accessProject,
            stackName: accessStack,
            program: async () => ({}),
            inheritedPath: this.opts.inheritedPath,
        });
        return this.stack;
    }

    async put(token: AccessToken): Promise<void> {
        const stack = await this.open();
        // The hash is left as it is (a redacted hash would never match again); the rest is redacted as records are.
        const plain: AccessToken = {
            ...redactDeep(JSON.parse(JSON.stringify(token)) as AccessToken),
            hash: token.hash,
        };
        await withLockRetry(() =>
            stack.up({
                program: async () => {
                    new AccessTokenResource(token.id, { token: plain });
                    return {};
                },
                target: [`urn:pulumi:${accessStack}::${accessProject}::${tokenType}::${token.id}`],
            }),
        );
    }

    async list(): Promise<AccessToken[]> {
        // Read from the backend where it can be (a damaged checkpoint is then named, with its good copy).
        const resources =
            ((await readStackResources(this.opts.backendUrl, accessProject, accessStack)) as
                { type: string; outputs?: { token?: AccessToken } }[] | undefined) ?? (await this.exported());
        return resources
            .filter((r) => r.type === tokenType && r.outputs?.token)
            .map((r) => r.outputs!.token!);
    }

    private async exported(): Promise<{ type: string; outputs?: { token?: AccessToken } }[]> {
        const state = await (await this.open()).exportStack();
        return (
            (state.deployment as { resources?: { type: string; outputs?: { token?: AccessToken } }[] })
                .resources ?? []
        );
    }
}
