import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { redactDeep } from "../model/redact";
import { tokens } from "../model/tokens";
import type { Hold } from "./holds";
import type { EngineLocation } from "./engineLocator";
import type { ReleaseRecord } from "./releaseRecord";
import type { StoredResource } from "./workspace";
import { openStack, readStackResources } from "./workspace";

export const recordsProject = "promotions-releases";
const recordType = "promotions:index:ReleaseRecord";

/** One release in the records stack: a component whose outputs are the record. */
class ReleaseRecordResource extends pulumi.ComponentResource {
    constructor(name: string, args: { record: ReleaseRecord }) {
        super(recordType, name, args);
        this.registerOutputs({ record: args.record });
    }
}

export interface ReleaseStoreOptions {
    readonly engine: EngineLocation;
    readonly backendUrl: string;
    readonly passphrase: string;
    readonly product: string;
    readonly inheritedPath?: string;
}

const cursorType = "promotions:index:WatchCursor";

/** Where a trigger watcher stopped reading one application's branch. */
class WatchCursorResource extends pulumi.ComponentResource {
    constructor(name: string, args: { sha: string }) {
        super(cursorType, name, args);
        this.registerOutputs({ sha: args.sha });
    }
}

const holdType = tokens.Hold;

/** A hold on one environment (its outputs are the hold; kept with `active: false` once released). */
class HoldResource extends pulumi.ComponentResource {
    constructor(name: string, args: { hold: Hold }) {
        super(holdType, name, args);
        this.registerOutputs({ hold: args.hold });
    }
}

/** Retries an update that found the stack locked by another writer (records are written in a second or two). */
export async function withLockRetry<T>(fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (!(e instanceof ConcurrentUpdateError) || Date.now() > deadline) {
                throw e;
            }
            await new Promise((r) => setTimeout(r, Math.min(2000, 150 * attempt) + Math.random() * 250));
        }
    }
}

/**
 * Every release of one product, kept in the Pulumi backend the user already has: a stack per product in
 * the `promotions-releases` project, one component per release whose outputs hold the record. A write
 * targets only its own release, so concurrent writers never overwrite each other's records; the stack
 * outputs also carry the latest record.
 */
export class ReleaseStore {
    private stack?: Promise<Stack>;

    constructor(private readonly opts: ReleaseStoreOptions) {}

    private open(): Promise<Stack> {
        this.stack ??= openStack({
            engine: this.opts.engine,
            backendUrl: this.opts.backendUrl,
            passphrase: this.opts.passphrase,
            projectName: recordsProject,
            stackName: this.opts.product,
            program: async () => ({}),
            inheritedPath: this.opts.inheritedPath,
        });
        return this.stack;
    }

    private urn(id: string): string {
        return `urn:pulumi:${this.opts.product}::${recordsProject}::${recordType}::${id}`;
    }

    /** Writes (creates or replaces) one record. */
    async put(record: ReleaseRecord): Promise<void> {
        const stack = await this.open();
        // Every string of the record (logs, errors, messages) passes through the one redactor: no secret the
        // process holds reaches the backend, its history or its backups.
        const plain = redactDeep(JSON.parse(JSON.stringify(record)) as ReleaseRecord);
        await withLockRetry(() =>
            stack.up({
                program: async () => {
                    new ReleaseRecordResource(record.id, { record: plain });
                    return { latest: plain };
                },
                target: [this.urn(record.id)],
            }),
        );
    }

    /** Records where the trigger watcher stopped for an application (its last handled commit). */
    async putCursor(application: string, sha: string): Promise<void> {
        const stack = await this.open();
        const name = `cursor.${application}`;
        // The stack outputs keep carrying the latest release.
        const latest = (await this.list())[0];
        await withLockRetry(() =>
            stack.up({
                program: async () => {
                    new WatchCursorResource(name, { sha });
                    return latest ? { latest } : {};
                },
                target: [`urn:pulumi:${this.opts.product}::${recordsProject}::${cursorType}::${name}`],
            }),
        );
    }

    /** Writes (creates or replaces) the hold of one environment: placed (`active`) or released. */
    async putHold(hold: Hold): Promise<void> {
        const stack = await this.open();
        const name = `hold.${hold.environment}`;
        const plain = redactDeep(JSON.parse(JSON.stringify(hold)) as Hold);
        const latest = (await this.list())[0];
        await withLockRetry(() =>
            stack.up({
                program: async () => {
                    new HoldResource(name, { hold: plain });
                    return latest ? { latest } : {};
                },
                target: [`urn:pulumi:${this.opts.product}::${recordsProject}::${holdType}::${name}`],
            }),
        );
    }

    /** Every hold of the product, active or released, by environment name. */
    async holds(): Promise<Hold[]> {
        return (await this.resources())
            .filter((r) => r.type === holdType && r.outputs?.hold)
            .map((r) => r.outputs!.hold as Hold)
            .sort((a, b) => (a.environment < b.environment ? -1 : 1));
    }

    /** The last commit the trigger watcher handled for an application, if it ever ran. */
    async getCursor(application: string): Promise<string | undefined> {
        const cursor = (await this.resources()).find(
            (r) => r.type === cursorType && r.urn.endsWith(`::cursor.${application}`),
        );
        return cursor?.outputs?.sha as string | undefined;
    }

    /** Every record, newest first. */
    async list(): Promise<ReleaseRecord[]> {
        return (await this.resources())
            .filter((r) => r.type === recordType && r.outputs?.record)
            .map((r) => r.outputs!.record as ReleaseRecord)
            .sort((a, b) =>
                a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1,
            );
    }

    /**
     * The records stack's resources: read from the backend's file where it is a `file://` backend whose
     * stack exists, else exported by the engine.
     */
    private async resources(): Promise<StoredResource[]> {
        const read = readStackResources(this.opts.backendUrl, recordsProject, this.opts.product);
        if (read !== undefined) {
            return read;
        }
        const state = await (await this.open()).exportStack();
        return (state.deployment as { resources?: StoredResource[] }).resources ?? [];
    }

    async get(id: string): Promise<ReleaseRecord | undefined> {
        return (await this.list()).find((r) => r.id === id);
    }
}
