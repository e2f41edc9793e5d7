import { messageOf } from "../model/errors";
import { redact } from "../model/redact";

/** One thing `/readyz` checks: resolves with what it found, rejects with what failed and the fix. */
export interface ReadinessCheck {
    /** e.g. `state backend`, `definitions`, `engine`. */
    readonly name: string;
    readonly check: () => Promise<string>;
}

/** A feature off because an optional secret or setting is missing (shown in `/readyz`'s details). */
export interface FeatureState {
    readonly name: string;
    readonly on: boolean;
    readonly detail: string;
}

export interface Readiness {
    readonly ready: boolean;
    readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail: string }[];
    readonly features: readonly FeatureState[];
}

export interface HealthOptions {
    readonly checks: readonly ReadinessCheck[];
    readonly features?: readonly FeatureState[];
    /** How long one check may take before it counts as failed (default 5 s: a probe's timeout is short). */
    readonly timeoutMs?: number;
}

/**
 * `/healthz` (the process answers) and `/readyz` (the state backend answers, the definitions load, the engine
 * is found). Probes are frequent and concurrent: one round of checks runs at a time and concurrent probes
 * share it. What a check says passes through the redactor: a probe is not authenticated.
 */
export class Health {
    private running?: Promise<Readiness>;
    private readonly timeoutMs: number;
    private stopping = false;

    constructor(private readonly opts: HealthOptions) {
        this.timeoutMs = opts.timeoutMs ?? 5_000;
    }

    /**
     * From now on `/readyz` fails with "shutting down" (without running the checks): the process drains its
     * work before it exits, and a load balancer must send new requests elsewhere.
     */
    shuttingDown(): void {
        this.stopping = true;
    }

    readiness(): Promise<Readiness> {
        if (this.stopping) {
            return Promise.resolve({
                ready: false,
                checks: [{ name: "shutdown", ok: false, detail: "shutting down" }],
                features: this.features(),
            });
        }
        this.running ??= this.check().finally(() => {
            this.running = undefined;
        });
        return this.running;
    }

    private async check(): Promise<Readiness> {
        const checks = await Promise.all(
            this.opts.checks.map(async (c) => {
                let timer: NodeJS.Timeout | undefined;
                const timeout = new Promise<never>((_, reject) => {
                    timer = setTimeout(
                        () => reject(new Error(`no answer within ${this.timeoutMs / 1000} s`)),
                        this.timeoutMs,
                    );
                });
                try {
                    const detail = await Promise.race([c.check(), timeout]);
                    return { name: c.name, ok: true, detail: redact(detail) };
                } catch (e) {
                    return { name: c.name, ok: false, detail: redact(messageOf(e)) };
                } finally {
                    clearTimeout(timer);
                }
            }),
        );
        return { ready: checks.every((c) => c.ok), checks, features: this.features() };
    }

    private features(): FeatureState[] {
        return (this.opts.features ?? []).map((f) => ({ ...f, detail: redact(f.detail) }));
    }
}
