/**
 * Inline-program updates running in this process. The Pulumi runtime of an inline program is process-wide (the
 * Automation API points it at each update's engine in turn), so two updates at once in one process would send
 * one program's resources to the other's engine. Writers of records check {@link inlineUpdateRunning} and,
 * when one is, write from a process of their own.
 */
import type { PulumiFn } from "@pulumi/pulumi/automation";

let running = 0;

/** Runs `fn` (an inline-program update) counted as running. */
export async function inlineUpdate<T>(fn: () => Promise<T>): Promise<T> {
    running++;
    try {
        return await fn();
    } finally {
        running--;
    }
}

export function inlineUpdateRunning(): boolean {
    return running > 0;
}

const gates = new WeakMap<PulumiFn, () => Promise<void>>();

/**
 * `program`, run only once `gate` has settled: the engine starts the update at once (its process, plugins,
 * state) while this process finishes something else, another inline update included (the engine only reaches
 * this process's runtime when it runs the program, and by then that update is over). When `gate` rejects, the
 * program does not run at all and the update fails with that error, having written nothing.
 */
export function afterGate(program: PulumiFn, gate: () => Promise<void>): PulumiFn {
    installRunGate();
    const gated: PulumiFn = () => program();
    gates.set(gated, gate);
    return gated;
}

interface RunHandler {
    program: PulumiFn;
    run(call: unknown, callback: (err: Error | undefined, resp?: unknown) => void): unknown;
}

let installed = false;

/**
 * The Automation API's language server, whose `run` (the engine asking this process to run the program) sets
 * the process-wide runtime first: a gated program's run waits for its gate before any of that.
 */
function installRunGate(): void {
    if (installed) {
        return;
    }
    installed = true;
    const server = require("@pulumi/pulumi/automation/server") as {
        LanguageServer: { prototype: RunHandler };
    };
    const run = server.LanguageServer.prototype.run;
    server.LanguageServer.prototype.run = function (this: RunHandler, call, callback) {
        const gate = gates.get(this.program);
        if (gate === undefined) {
            return run.call(this, call, callback);
        }
        return gate().then(
            () => run.call(this, call, callback),
            (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
        );
    };
}
