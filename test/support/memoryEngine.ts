import type { Catalog } from "../../components/catalog";
import type {
    DecisionOptions,
    PreviewOptions,
    ProgressEvent,
    ReleaseOptions,
    ReleasesQuery,
    RetryOptions,
    WaitOptions,
} from "../../engine/promoteEngine";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { InvalidInputError } from "../../model/errors";
import type { ServerEngine } from "../../server/api";

/**
 * A hand-written engine over records in memory, for tests and benches of the server's HTTP surface (many
 * thousands of requests, where the real engine's Pulumi runs would take hours). It refuses what the real
 * engine refuses with the real engine's messages (unknown product, flow, environment or release), and its
 * records carry `secret` where a real failure can put one: an error message, a gate's log, a warning.
 * Releases it starts end at once, Failed, like a release whose gate printed a token.
 */
export class MemoryEngine implements ServerEngine {
    readonly records = new Map<string, ReleaseRecord>();
    onProgress?: (e: ProgressEvent) => void;
    private next = 1;

    constructor(
        private readonly catalog: Catalog,
        private readonly secret: string,
        seed = 3,
    ) {
        const product = catalog.products[0];
        for (let i = 0; i < seed; i++) {
            const r = this.record(product.name, product.promotionFlows[0]?.name ?? "manual");
            this.records.set(r.id, { ...r, status: i === 0 ? "Suspended" : "Failed" });
        }
    }

    private product(name: string) {
        const p = this.catalog.products.find((x) => x.name === name);
        if (!p) {
            throw new InvalidInputError(`unknown product "${name}"`, { entity: `Product "${name}"` });
        }
        return p;
    }

    private record(product: string, flow: string): ReleaseRecord {
        const id = `20261207-000000-${String(this.next++).padStart(4, "0")}`;
        const p = this.product(product);
        const source = p.applications[0];
        const envs = [...new Set(p.applications.map((a) => a.environment))].filter(
            (e) => e !== source.environment,
        );
        return {
            id,
            product,
            flow,
            status: "Failed",
            createdAt: "2026-12-07T00:00:00Z",
            sourceApplication: source.name,
            sourceCommit: "a".repeat(40),
            warnings: [`hook printed ${this.secret}`],
            error: `push to ${source.repoURL} failed: https://x-access-token:${this.secret}@git.example refused`,
            environments: envs.map((name, i) => ({
                name,
                status: i === 0 ? ("Failed" as const) : ("Pending" as const),
                dependsOn: [source.environment],
                ...(i === 0 ? { error: `pre-action failed: token ${this.secret} refused` } : {}),
                applications: p.applications
                    .filter((a) => a.environment === name)
                    .map((a) => ({
                        name: a.name,
                        status: i === 0 ? ("Failed" as const) : ("Pending" as const),
                        action: "commit" as const,
                        repoURL: a.repoURL,
                        changes: [],
                        preAction: {
                            workflow: "check",
                            status: "Failed" as const,
                            runId: `local-${i + 1}`,
                            log: `echo $TOKEN\n${this.secret}\nexit 1`,
                        },
                    })),
            })),
            candidate: {
                sourceApplication: source.name,
                sourceRepoURL: source.repoURL,
                sourcePath: source.path,
                sourceCommit: "a".repeat(40),
                files: [],
            },
            plan: { trigger: source.environment, timeoutMs: 60_000, concurrency: "queue", environments: [] },
            attempts: 1,
        };
    }

    private target(product: string, o: PreviewOptions): string {
        const p = this.product(product);
        const t = o.target;
        if ("flow" in t) {
            if (!p.promotionFlows.some((f) => f.name === t.flow)) {
                throw new InvalidInputError(`unknown flow "${t.flow}" for product "${product}"`);
            }
            return t.flow;
        }
        if (!("from" in t)) {
            throw new InvalidInputError("a rollback is not a target the API starts");
        }
        for (const env of [t.from, t.to]) {
            if (!p.applications.some((a) => a.environment === env)) {
                throw new InvalidInputError(`unknown environment "${env}" for product "${product}"`);
            }
        }
        return "manual";
    }

    async preview(o: PreviewOptions) {
        return {
            product: o.product,
            flow: this.target(o.product, o),
            sourceApplication: this.product(o.product).applications[0].name,
            sourceCommit: "a".repeat(40),
            environments: [],
        };
    }

    async release(o: ReleaseOptions) {
        const r = this.record(o.product, this.target(o.product, o));
        this.records.set(r.id, r);
        o.onCreated?.({ ...r, status: "Running" });
        this.onProgress?.({ type: "release", release: r });
        return r;
    }

    async retry(id: string, _o: RetryOptions = {}) {
        const r = await this.find(id);
        if (r.status === "Succeeded") {
            throw new InvalidInputError(`release ${id} already Succeeded: nothing to retry`);
        }
        this.onProgress?.({ type: "release", release: { ...r, status: "Running" } });
        this.onProgress?.({ type: "release", release: r });
        return r;
    }

    async terminate(id: string) {
        return { ...(await this.find(id)), status: "Terminated" as const };
    }

    async releases(product: string, q: ReleasesQuery = {}) {
        this.product(product);
        const all = [...this.records.values()]
            .filter((r) => r.product === product && (q.before === undefined || r.id < q.before))
            .filter((r) => q.where?.(r) ?? true)
            .sort((a, b) => (a.id < b.id ? 1 : -1));
        return q.limit !== undefined ? all.slice(0, q.limit) : all;
    }

    async find(id: string) {
        const r = this.records.get(id);
        if (!r) {
            throw new InvalidInputError(`no release "${id}" (see 'promote releases --product P')`);
        }
        return r;
    }

    async holds(product: string) {
        this.product(product);
        return [];
    }

    async approve(id: string, environment: string, o: DecisionOptions) {
        return this.decide(id, environment, o);
    }

    async reject(id: string, environment: string, o: DecisionOptions) {
        return this.decide(id, environment, o);
    }

    private async decide(id: string, environment: string, _o: DecisionOptions): Promise<ReleaseRecord> {
        const r = await this.find(id);
        if (!r.environments.some((e) => e.name === environment)) {
            throw new InvalidInputError(`unknown environment "${environment}" in release ${id}`);
        }
        throw new InvalidInputError(
            `release ${id}: environment "${environment}" is not waiting for approval`,
        );
    }

    async resume(id: string, _o: WaitOptions = {}) {
        const r = await this.find(id);
        if (r.status !== "Suspended") {
            throw new InvalidInputError(`release ${id} is ${r.status}, not Suspended: nothing to resume`);
        }
        return r;
    }
}
