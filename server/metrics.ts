import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EngineMetrics, NotificationResult, WebhookResult } from "../engine/notifications/metrics";
import type { EnvironmentRecord, ReleaseRecord, WorkflowRunRecord } from "../engine/record/releaseRecord";
import type { ProgressEvent } from "../engine/release/releaseRun";
import type { ReleaseStatus } from "../model/status";
import { finalEnvironmentStatuses, finalReleaseStatuses, finalRunStatuses } from "../model/status";

/** Durations of releases and environments: seconds to a day. */
const releaseBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];
/** Durations of gate runs: a tenth of a second to half an hour. */
const gateBuckets = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];

/** How many finished releases are remembered so a repeated final event is not counted twice. */
const rememberedFinished = 5000;

interface Seen {
    readonly product: string;
    readonly flow: string;
    status: ReleaseStatus;
    waitKind?: string;
}

const seconds = (from?: string, to?: string): number | undefined => {
    if (!from || !to) {
        return undefined;
    }
    const d = (Date.parse(to) - Date.parse(from)) / 1000;
    return Number.isFinite(d) && d >= 0 ? d : undefined;
};

/**
 * `promote serve`'s Prometheus metrics, in a registry of their own. Releases, environments, gate runs and
 * pushes are read from the engine's progress events ({@link progress}); notifications and webhook deliveries
 * arrive through the {@link EngineMetrics} sink this is. Every label value is bounded: products, flows,
 * environments and workflows are the definitions' names, statuses and kinds are fixed lists; no release id.
 */
export class ServiceMetrics implements EngineMetrics {
    readonly registry = new Registry();
    private readonly seen = new Map<string, Seen>();
    /** Keys of what was counted once already (finished environments, runs, applications). */
    private readonly counted = new Set<string>();
    private readonly releases: Counter<"product" | "flow" | "status">;
    private readonly releaseDuration: Histogram<"product" | "flow" | "status">;
    private readonly environmentDuration: Histogram<"product" | "environment" | "status">;
    private readonly gateRuns: Counter<"kind" | "workflow" | "result">;
    private readonly gateDuration: Histogram<"kind" | "workflow" | "result">;
    private readonly webhooks: Counter<"result">;
    private readonly notifications: Counter<"result">;
    private readonly pushRetries: Counter<"product">;
    private readonly pushConflicts: Counter<"product">;

    constructor() {
        const registers = [this.registry];
        collectDefaultMetrics({ register: this.registry });
        this.releases = new Counter({
            name: "promotions_releases_total",
            help: "Releases seen reaching each status, by product and flow",
            labelNames: ["product", "flow", "status"],
            registers,
        });
        this.releaseDuration = new Histogram({
            name: "promotions_release_duration_seconds",
            help: "From a release's start to its end (Succeeded, Failed or Terminated)",
            labelNames: ["product", "flow", "status"],
            buckets: releaseBuckets,
            registers,
        });
        this.environmentDuration = new Histogram({
            name: "promotions_environment_duration_seconds",
            help: "From an environment's start to its end within a release",
            labelNames: ["product", "environment", "status"],
            buckets: releaseBuckets,
            registers,
        });
        const waiting = (status: ReleaseStatus) => [...this.seen.values()].filter((s) => s.status === status);
        new Gauge({
            name: "promotions_releases_queued",
            help: "Releases Queued behind another release of their product",
            labelNames: ["product"],
            registers,
            collect() {
                this.reset();
                for (const s of waiting("Queued")) {
                    this.inc({ product: s.product });
                }
            },
        });
        new Gauge({
            name: "promotions_releases_waiting",
            help: "Releases Suspended, by what they wait for (approval, window, soak, pullRequest, queue)",
            labelNames: ["product", "wait_kind"],
            registers,
            collect() {
                this.reset();
                for (const s of waiting("Suspended")) {
                    this.inc({ product: s.product, wait_kind: s.waitKind ?? "unknown" });
                }
            },
        });
        this.gateRuns = new Counter({
            name: "promotions_gate_runs_total",
            help: "Finished gate runs (pre-actions, post-actions, hooks), by kind, workflow and result",
            labelNames: ["kind", "workflow", "result"],
            registers,
        });
        this.gateDuration = new Histogram({
            name: "promotions_gate_run_duration_seconds",
            help: "How long finished gate runs took",
            labelNames: ["kind", "workflow", "result"],
            buckets: gateBuckets,
            registers,
        });
        this.webhooks = new Counter({
            name: "promotions_webhook_deliveries_total",
            help: "Webhook requests (every code host), by how they were answered",
            labelNames: ["result"],
            registers,
        });
        this.notifications = new Counter({
            name: "promotions_notification_deliveries_total",
            help: "Notification events delivered, or given up after their attempts",
            labelNames: ["result"],
            registers,
        });
        this.pushRetries = new Counter({
            name: "promotions_git_push_retries_total",
            help: "Pushes made again because another writer moved the branch first",
            labelNames: ["product"],
            registers,
        });
        this.pushConflicts = new Counter({
            name: "promotions_git_push_conflicts_total",
            help: "Environments failed because their branch kept moving (every push attempt rejected)",
            labelNames: ["product"],
            registers,
        });
    }

    notification(result: NotificationResult): void {
        this.notifications.inc({ result });
    }

    webhookDelivery(result: WebhookResult): void {
        this.webhooks.inc({ result });
    }

    /**
     * Releases already stored when the server starts (e.g. Suspended ones waiting for approval), so the
     * gauges count them before any event about them; not counted as transitions.
     */
    seed(records: readonly ReleaseRecord[]): void {
        for (const r of records) {
            if (!this.seen.has(r.id)) {
                this.seen.set(r.id, this.entry(r));
            }
        }
    }

    /** The engine's `onProgress`. */
    readonly progress = (e: ProgressEvent): void => {
        if (e.type === "release") {
            this.release(e.release);
        } else if (e.type === "environment") {
            const s = this.seen.get(e.releaseId);
            if (s) {
                this.environment(e.releaseId, s.product, e.environment);
            }
        }
    };

    /** The scrape: Prometheus' text format. */
    async scrape(): Promise<{ contentType: string; body: string }> {
        return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    }

    private entry(r: ReleaseRecord): Seen {
        return {
            product: r.product,
            flow: r.flow,
            status: r.status,
            ...(r.waitKind ? { waitKind: r.waitKind } : {}),
        };
    }

    private release(r: ReleaseRecord): void {
        const before = this.seen.get(r.id);
        if (before?.status !== r.status) {
            this.releases.inc({ product: r.product, flow: r.flow, status: r.status });
            if (finalReleaseStatuses.has(r.status)) {
                const d = seconds(r.startedAt ?? r.createdAt, r.finishedAt);
                if (d !== undefined) {
                    this.releaseDuration.observe({ product: r.product, flow: r.flow, status: r.status }, d);
                }
            }
        }
        this.seen.set(r.id, this.entry(r));
        for (const env of r.environments) {
            this.environment(r.id, r.product, env);
        }
        for (const run of r.hooks ?? []) {
            this.run(`${r.id}//${run.workflow}`, "hook", run);
        }
        this.forget();
    }

    private environment(releaseId: string, product: string, env: EnvironmentRecord): void {
        for (const app of env.applications) {
            const at = `${releaseId}/${env.name}/${app.name}`;
            if (app.preAction) {
                this.run(`${at}/pre`, "preAction", app.preAction);
            }
            if (app.postAction) {
                this.run(`${at}/post`, "postAction", app.postAction);
            }
            const retries = (app.pushAttempts ?? 1) - 1;
            if (retries > 0 && app.commitSha && this.once(`${at}/push/${app.commitSha}`)) {
                this.pushRetries.inc({ product }, retries);
            }
        }
        for (const run of env.hooks ?? []) {
            this.run(`${releaseId}/${env.name}`, "hook", run);
        }
        if (!finalEnvironmentStatuses.has(env.status) || !env.finishedAt) {
            return;
        }
        if (!this.once(`${releaseId}/${env.name}/${env.status}/${env.finishedAt}`)) {
            return;
        }
        if (env.status === "Failed" && /push rejected \d+ times/.test(env.error ?? "")) {
            this.pushConflicts.inc({ product });
        }
        const d = seconds(env.startedAt, env.finishedAt);
        if (d !== undefined) {
            this.environmentDuration.observe({ product, environment: env.name, status: env.status }, d);
        }
    }

    private run(at: string, kind: "preAction" | "postAction" | "hook", run: WorkflowRunRecord): void {
        if (
            !finalRunStatuses.has(run.status) ||
            !this.once(`${at}/${kind}/${run.workflow}/${run.runId ?? run.startedAt}`)
        ) {
            return;
        }
        const labels = { kind, workflow: run.workflow, result: run.status };
        this.gateRuns.inc(labels);
        const d = seconds(run.startedAt, run.finishedAt);
        if (d !== undefined) {
            this.gateDuration.observe(labels, d);
        }
    }

    /** True the first time `key` is seen. */
    private once(key: string): boolean {
        if (this.counted.has(key)) {
            return false;
        }
        this.counted.add(key);
        return true;
    }

    /** Keeps memory bounded in a long-running server: the oldest finished releases are forgotten. */
    private forget(): void {
        if (this.seen.size <= rememberedFinished && this.counted.size <= rememberedFinished * 20) {
            return;
        }
        for (const [id, s] of this.seen) {
            if (this.seen.size <= rememberedFinished / 2) {
                break;
            }
            if (finalReleaseStatuses.has(s.status)) {
                this.seen.delete(id);
            }
        }
        if (this.counted.size > rememberedFinished * 20) {
            const keep = [...this.counted].slice(-rememberedFinished * 10);
            this.counted.clear();
            keep.forEach((k) => this.counted.add(k));
        }
    }
}
