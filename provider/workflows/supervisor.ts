/**
 * The leader of a local gate's process group, so a gate never outlives the process that started it, even
 * when that process is killed with SIGKILL and cannot clean up.
 *
 * Run as `node supervisor.js <owner pid> <grace ms> <command> [args...]`, detached (a new process group), by
 * the local runner, with the command's environment as JSON on its standard input (so the supervisor itself
 * runs without it: no NODE_OPTIONS given to a gate changes it). It runs the command in its own group, polls
 * its owner every 250 ms, and when the owner is gone sends the whole group SIGTERM and, once the command has
 * ended or the grace has passed, SIGKILL (which ends the supervisor too). It reports on file descriptor 3
 * how the command ended (`{"code", "signal"}`) or why it could not start (`{"error"}`), and ends the same
 * way itself.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";

const [ownerArg, graceArg, command, ...args] = process.argv.slice(2);
const ownerPid = Number(ownerArg);
const graceMs = Number(graceArg);

function report(value: object): void {
    try {
        fs.writeSync(3, JSON.stringify(value));
    } catch {
        // nobody listens: the runner is gone
    }
}

/** True while the owner is our parent (Linux: read live from /proc; elsewhere: the owner pid exists). */
function ownerAlive(): boolean {
    try {
        const stat = fs.readFileSync("/proc/self/stat", "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ownerPid;
    } catch {
        try {
            process.kill(ownerPid, 0);
            return true;
        } catch (e) {
            return (e as NodeJS.ErrnoException).code === "EPERM";
        }
    }
}

function signalGroup(signal: NodeJS.Signals): void {
    try {
        process.kill(-process.pid, signal);
    } catch {
        // the group is empty
    }
}

// A SIGTERM sent to the group is for the command; the supervisor stays to report how it ended.
const ignore = () => undefined;
process.on("SIGTERM", ignore);

const env = JSON.parse(fs.readFileSync(0, "utf8")) as Record<string, string>;
const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
let ownerGone = false;

const watch = setInterval(() => {
    if (!ownerGone && !ownerAlive()) {
        ownerGone = true;
        clearInterval(watch);
        signalGroup("SIGTERM");
        setTimeout(() => signalGroup("SIGKILL"), graceMs);
    }
}, 250);

child.on("error", (e) => {
    clearInterval(watch);
    report({ error: e.message });
    process.exit(127);
});

child.on("exit", (code, signal) => {
    clearInterval(watch);
    if (ownerGone) {
        signalGroup("SIGKILL"); // what is left of the gate, and this process
        return;
    }
    report({ code, signal });
    if (signal) {
        process.off("SIGTERM", ignore);
        process.kill(process.pid, signal);
        process.exit(128 + (os.constants.signals[signal] ?? 0)); // a signal Node.js ignores (SIGPIPE)
    }
    process.exit(code ?? 1);
});
