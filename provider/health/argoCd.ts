import { setTimeout as sleep } from "node:timers/promises";

/** Where Argo CD's API is, and how to authenticate. The token never leaves this process. */
export interface ArgoCdConfig {
    /** e.g. `https://argocd.example.com`. */
    readonly url: string;
    /** An Argo CD API token (`argocd account generate-token`). */
    readonly token?: string;
    /** How often an application is polled (ms); default 3000. */
    readonly pollIntervalMs?: number;
}

export interface HealthResult {
    readonly status: "Healthy" | "Degraded" | "TimedOut" | "Terminated";
    readonly sync?: string;
    readonly health?: string;
    readonly revision?: string;
    readonly message?: string;
    readonly checkedAt: string;
}

export interface ArgoCdApplication {
    status?: {
        sync?: { status?: string; revision?: string };
        health?: { status?: string; message?: string };
    };
}

export interface HealthWaitRequest {
    readonly config: ArgoCdConfig;
    readonly application: { readonly name: string; readonly namespace: string };
    /** The promotion commit: the application must be synced at it or at a descendant of it. */
    readonly commitSha: string;
    readonly contains: (revision: string, commit: string) => Promise<boolean>;
    readonly timeoutMs: number;
    readonly signal?: AbortSignal;
}

/** One application as Argo CD reports it now (its sync and health). */
export async function getApplication(
    config: ArgoCdConfig,
    app: { name: string; namespace: string },
    signal: AbortSignal | undefined,
): Promise<ArgoCdApplication> {
    const url = `${config.url.replace(/\/$/, "")}/api/v1/applications/${encodeURIComponent(app.name)}?appNamespace=${encodeURIComponent(app.namespace)}`;
    // fetch keeps its abort listener until the request is garbage-collected: give it a signal of its own,
    // tied to the caller's for this request only, so a long wait does not pile listeners on the caller's.
    const request = new AbortController();
    const onAbort = () => request.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
        const res = await fetch(url, {
            headers: {
                Accept: "application/json",
                ...(config.token ? { Authorization: `Bearer ${config.token}` } : {}),
            },
            signal: request.signal,
        });
        if (!res.ok) {
            throw new Error(
                `Argo CD GET /api/v1/applications/${app.name}: ${res.status} ${(await res.text()).slice(0, 200)}`,
            );
        }
        return (await res.json()) as ArgoCdApplication;
    } finally {
        signal?.removeEventListener("abort", onAbort);
    }
}

/**
 * Waits until Argo CD reports the application Synced at a revision that contains the promotion commit and
 * Healthy. Degraded ends the wait at once; so do the timeout and a terminated release (`signal` aborts the
 * request in flight and the sleep between polls). Transient API errors are retried until the timeout.
 */
export async function waitForHealthy(req: HealthWaitRequest): Promise<HealthResult> {
    const terminated = (): HealthResult => ({ status: "Terminated", checkedAt: new Date().toISOString() });
    const deadline = Date.now() + req.timeoutMs;
    let last: ArgoCdApplication | undefined;
    let lastError: string | undefined;
    for (;;) {
        if (req.signal?.aborted) {
            return terminated();
        }
        try {
            last = await getApplication(req.config, req.application, req.signal);
            lastError = undefined;
            const sync = last.status?.sync;
            const health = last.status?.health;
            const atCommit = sync?.revision ? await req.contains(sync.revision, req.commitSha) : false;
            if (health?.status === "Degraded" && atCommit) {
                return {
                    status: "Degraded",
                    sync: sync?.status,
                    health: health.status,
                    revision: sync?.revision,
                    message: health.message ?? "the application is Degraded",
                    checkedAt: new Date().toISOString(),
                };
            }
            if (sync?.status === "Synced" && atCommit && health?.status === "Healthy") {
                return {
                    status: "Healthy",
                    sync: sync.status,
                    health: health.status,
                    revision: sync.revision,
                    checkedAt: new Date().toISOString(),
                };
            }
        } catch (e) {
            if (req.signal?.aborted) {
                return terminated();
            }
            lastError = e instanceof Error ? e.message : String(e);
        }
        if (Date.now() > deadline) {
            const s = last?.status;
            return {
                status: "TimedOut",
                sync: s?.sync?.status,
                health: s?.health?.status,
                revision: s?.sync?.revision,
                message:
                    `no Synced and Healthy answer at ${req.commitSha.slice(0, 12)} within ${Math.round(req.timeoutMs / 1000)}s` +
                    (lastError
                        ? ` (last error: ${lastError})`
                        : s
                          ? ` (last: ${s.sync?.status ?? "?"}/${s.health?.status ?? "?"} at ${s.sync?.revision?.slice(0, 12) ?? "?"})`
                          : ""),
                checkedAt: new Date().toISOString(),
            };
        }
        try {
            // Aborting ends the wait at once; the timer and its abort listener go with it.
            await sleep(
                req.config.pollIntervalMs ?? 3000,
                undefined,
                req.signal ? { signal: req.signal } : {},
            );
        } catch {
            return terminated();
        }
    }
}
