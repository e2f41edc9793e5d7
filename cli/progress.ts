import type { ProgressEvent } from "../engine/promoteEngine";
import type { EnvironmentRecord, ReleaseRecord } from "../engine/record/releaseRecord";
import { finalReleaseStatuses } from "../model/status";
import type { Clock, Terminal } from "./context";
import { displayText, paintStatus } from "./display";
import { seconds, waitText } from "./output";

const icons: Record<string, string> = {
    Pending: "·",
    Running: "▶",
    Succeeded: "✔",
    Skipped: "–",
    Failed: "✖",
    Terminated: "■",
    Suspended: "⏸",
};

/**
 * Live progress of a release, on the deps' stderr: on a terminal, a block redrawn in place (each environment
 * waiting, running or done, with its time); otherwise one line per change, with the time since the start.
 */
export class ProgressView {
    private release?: ReleaseRecord;
    private readonly envs = new Map<string, EnvironmentRecord>();
    private drawn = 0;
    private timer?: NodeJS.Timeout;
    private readonly started: number;

    constructor(
        private readonly io: Terminal,
        private readonly clock: Clock,
    ) {
        this.started = clock.now();
    }

    private stamp(): string {
        return `[${((this.clock.now() - this.started) / 1000).toFixed(1).padStart(5)}s]`;
    }

    readonly handle = (e: ProgressEvent): void => {
        if (e.type === "waiting") {
            this.line(`${this.stamp()} queued behind ${e.behind.map(displayText).join(", ")}`);
            return;
        }
        if (e.type === "release") {
            // A watcher runs one release after another through the same view: each gets its own header.
            const first = this.release?.id !== e.release.id;
            if (first && this.release) {
                this.stop();
                this.envs.clear();
            }
            this.release = e.release;
            if (first) {
                this.line(
                    `${this.stamp()} release ${e.release.id} (${e.release.product}, flow ${e.release.flow})`,
                );
            }
            for (const env of e.release.environments) {
                if (!this.envs.has(env.name) || e.release.status !== "Running") {
                    this.envs.set(env.name, env);
                }
            }
            if (!this.io.interactive) {
                this.line(`${this.stamp()} release ${displayText(e.release.status)}`);
            } else if (e.release.status === "Running" && !this.timer) {
                this.timer = setInterval(() => this.redraw(), 250);
            }
            if (finalReleaseStatuses.has(e.release.status)) {
                this.stop();
            }
            return;
        }
        this.envs.set(e.environment.name, e.environment);
        if (!this.io.interactive) {
            const env = e.environment;
            const took =
                env.startedAt && env.finishedAt ? ` (${seconds(env.startedAt, env.finishedAt)})` : "";
            const wait = waitText(env);
            this.line(
                `${this.stamp()} ${env.name} ${displayText(env.status)}${took}${wait ? ` ${wait}` : ""}`,
            );
        }
    };

    private line(s: string): void {
        if (this.io.interactive && this.drawn > 0) {
            this.clear();
        }
        this.io.err(s);
    }

    private clear(): void {
        this.io.errRaw(`\x1b[${this.drawn}A\x1b[0J`);
        this.drawn = 0;
    }

    private redraw(): void {
        if (this.drawn > 0) {
            this.clear();
        }
        const now = this.clock.now();
        const width = Math.max(4, ...[...this.envs.keys()].map((n) => n.length));
        const lines = [...this.envs.values()].map((env) => {
            const waiting =
                env.status === "Pending" && env.dependsOn.length
                    ? this.io.style.dim(` waiting for ${env.dependsOn.join(", ")}`)
                    : waitText(env)
                      ? this.io.style.dim(` ${waitText(env)}`)
                      : "";
            return `  ${icons[env.status] ?? " "} ${env.name.padEnd(width)}  ${paintStatus(this.io.style, env.status)}  ${seconds(env.startedAt, env.finishedAt, now)}${waiting}`;
        });
        this.io.errRaw(lines.join("\n") + "\n");
        this.drawn = lines.length;
    }

    stop(): void {
        if (this.timer) {
            clearInterval(this.timer);
            this.timer = undefined;
            this.redraw();
            this.drawn = 0;
        }
    }
}
