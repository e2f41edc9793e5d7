import type { ProgressEvent } from "../../engine/promoteEngine";
import type { ReleaseStatus } from "../../model/status";

/**
 * How `promote serve` stops on SIGTERM (a Kubernetes rolling update or scale-down, `kubectl delete pod`, a
 * definitions sync restarting it): it stops taking work, hands over or finishes what it holds, and exits
 * within its grace period.
 *
 * 1. `/readyz` fails with "shutting down" at once; the listener stops taking connections; event streams end
 *    (the console reconnects, to another replica behind the Service); requests under way finish.
 * 2. The engine drains (PromoteEngineOptions.drain): no release starts, is retried or resumed here any more
 *    (the trigger watcher leaves the commit for the next poll: another replica's, or this one's next start);
 *    every release here that waits or starts to wait (approval, window, soak) is written Suspended without an
 *    owner, which another replica's resume loop (or the next start's) continues once the wait is over; the
 *    gates and commits under way finish, and so do the releases that need nothing more than that.
 * 3. Once nothing is left (the watcher's poll, the resume pass, the releases the API started, the open
 *    connections), `serve` returns 0. When the grace period ends first, the process exits at once (code 1),
 *    naming the releases still running here: their records are left as a killed process leaves them, and
 *    `promote retry ID` (from any runner) resumes each from where it stopped, finished gates and commits not
 *    redone.
 */
export interface ShutdownParts {
    /** `/readyz` fails from the start of the shutdown. */
    readonly health?: { shuttingDown(): void };
    /** The HTTP server: stop accepting (resolves once its connections are closed), then close what is left. */
    readonly server: { stopAccepting(): Promise<void>; close(): Promise<void> };
    /** Aborted at the start: the engine's drain. */
    readonly drain: AbortController;
    /** Work this process holds, each resolving once it is done (the watcher's loop, the resume loop's stop…). */
    readonly work: () => readonly Promise<unknown>[];
    /** How long from SIGTERM to exit at the latest (ms). */
    readonly graceMs: number;
    readonly log: (line: string) => void;
    /** Ends the process when the grace period is over (default `process.exit`). */
    readonly exit?: (code: number) => void;
}

/** Default `--shutdown-grace`: a little under the chart's `terminationGracePeriodSeconds` (60). */
export const defaultShutdownGraceMs = 55_000;

/** Releases this process runs now, from the engine's progress (for the one line a forced exit writes). */
export class RunningHere {
    private readonly held = new Set<string>();

    readonly progress = (e: ProgressEvent): void => {
        if (e.type === "release") {
            // Suspended with an owner: waiting in this process (a pull request); without one: handed over.
            const here: readonly ReleaseStatus[] = ["Queued", "Running", "Terminating"];
            const mine =
                here.includes(e.release.status) || (e.release.status === "Suspended" && e.release.owner);
            if (mine) {
                this.held.add(e.release.id);
            } else {
                this.held.delete(e.release.id);
            }
        }
    };

    /** The releases this process holds now. */
    ids(): string[] {
        return [...this.held];
    }
}

export class ServeShutdown {
    private started?: Promise<"drained" | "grace over">;

    constructor(
        private readonly parts: ShutdownParts,
        private readonly running: RunningHere,
    ) {}

    /** Begins the shutdown (once); resolves with how it ended. */
    begin(): Promise<"drained" | "grace over"> {
        this.started ??= this.run();
        return this.started;
    }

    private async run(): Promise<"drained" | "grace over"> {
        const { parts } = this;
        const seconds = Math.round(parts.graceMs / 1000);
        parts.log(
            `shutting down: no new work; finishing or handing over what this process holds (at most ${seconds}s)`,
        );
        parts.health?.shuttingDown();
        parts.drain.abort();
        const connections = parts.server.stopAccepting();
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<"grace over">((resolve) => {
            timer = setTimeout(() => resolve("grace over"), parts.graceMs);
        });
        const drained = (async () => {
            await Promise.allSettled(parts.work());
            await connections;
            return "drained" as const;
        })();
        const outcome = await Promise.race([drained, graceOver]);
        clearTimeout(timer);
        if (outcome === "drained") {
            await parts.server.close();
            parts.log("shut down: nothing left running here");
            return outcome;
        }
        const left = this.running.ids();
        parts.log(
            `grace period (${seconds}s, --shutdown-grace) over: exiting` +
                (left.length > 0
                    ? ` with release${left.length === 1 ? "" : "s"} ${left.join(", ")} still running here; ` +
                      `'promote retry ID' (from any runner) resumes each from where it stopped, finished gates and commits not redone`
                    : ""),
        );
        (parts.exit ?? ((code: number) => process.exit(code)))(1);
        return outcome;
    }
}
