import type { ProgressEvent } from "../engine/promoteEngine";
import type { EnvironmentRecord, ReleaseRecord } from "../engine/releaseRecord";
import type { CliContext } from "./context";
import { colourStatus, seconds } from "./output";

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
 * Live progress of a release: on a terminal, a block redrawn in place (each environment waiting, running or
 * done, with its time); otherwise one line per change, with the time since the release started.
 */
export class ProgressView {
    private release?: ReleaseRecord;
    private readonly envs = new Map<string, EnvironmentRecord>();
    private drawn = 0;
    private timer?: NodeJS.Timeout;
    private readonly started = Date.now();

    constructor(private readonly ctx: CliContext) {}

    private stamp(): string {
        return `[${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s]`;
    }

    readonly handle = (e: ProgressEvent): void => {
        if (e.type === "waiting") {
            this.line(`${this.stamp()} queued behind ${e.behind.join(", ")}`);
            return;
        }
        if (e.type === "release") {
            const first = !this.release;
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
            if (!this.ctx.interactive) {
                this.line(`${this.stamp()} release ${e.release.status}`);
            } else if (e.release.status === "Running" && !this.timer) {
                this.timer = setInterval(() => this.redraw(), 250);
            }
            if (["Succeeded", "Failed", "Terminated"].includes(e.release.status)) {
                this.stop();
            }
            return;
        }
        this.envs.set(e.environment.name, e.environment);
        if (!this.ctx.interactive) {
            const env = e.environment;
            const took =
                env.startedAt && env.finishedAt ? ` (${seconds(env.startedAt, env.finishedAt)})` : "";
            this.line(`${this.stamp()} ${env.name} ${env.status}${took}`);
        }
    };

    private line(s: string): void {
        if (this.ctx.interactive && this.drawn > 0) {
            this.clear();
        }
        this.ctx.err(s);
    }

    private clear(): void {
        process.stderr.write(`\x1b[${this.drawn}A\x1b[0J`);
        this.drawn = 0;
    }

    private redraw(): void {
        if (this.drawn > 0) {
            this.clear();
        }
        const width = Math.max(4, ...[...this.envs.keys()].map((n) => n.length));
        const lines = [...this.envs.values()].map((env) => {
            const waiting =
                env.status === "Pending" && env.dependsOn.length
                    ? this.ctx.style.dim(` waiting for ${env.dependsOn.join(", ")}`)
                    : "";
            return `  ${icons[env.status] ?? " "} ${env.name.padEnd(width)}  ${colourStatus(this.ctx.style, env.status)}  ${seconds(env.startedAt, env.finishedAt)}${waiting}`;
        });
        process.stderr.write(lines.join("\n") + "\n");
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
