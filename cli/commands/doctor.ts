import { execFile } from "child_process";
import { promisify } from "util";
import { locateEngine, sdkVersion } from "../../engine/engineLocator";
import { EnvironmentError } from "../../model/errors";
import type { CliContext } from "../context";

const run = promisify(execFile);

interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    readonly fix?: string;
}

async function gitCheck(): Promise<Check> {
    try {
        const { stdout } = await run("git", ["--version"]);
        return { name: "git", ok: true, detail: stdout.trim() };
    } catch {
        return { name: "git", ok: false, detail: "not found", fix: "install git (e.g. apt-get install git)" };
    }
}

function nodeCheck(): Check {
    const major = Number(process.versions.node.split(".")[0]);
    return {
        name: "node",
        ok: major >= 22,
        detail: `${process.version} (${process.execPath})`,
        fix: "@pulumi/pulumi needs Node.js >= 22: run 'bash scripts/install.sh', or install Node.js 22+",
    };
}

/** `promote doctor`: what this machine has, and the fix for whatever is missing. Exit code 3 if anything is. */
export async function doctor(ctx: CliContext): Promise<number> {
    const checks: Check[] = [nodeCheck(), await gitCheck()];
    const want = `v${sdkVersion()}`;
    checks.push({ name: "@pulumi/pulumi", ok: true, detail: sdkVersion() });
    try {
        const engine = await locateEngine({ cacheDir: ctx.cacheDir, searchPath: ctx.env.PATH });
        checks.push({
            name: "pulumi",
            ok: true,
            detail: `${engine.version} ${engine.pulumi} (${engine.source === "cache" ? "provisioned" : "on PATH"})`,
        });
        checks.push({
            name: "language host",
            ok: engine.languageHost !== undefined,
            detail: engine.languageHost ?? "pulumi-language-nodejs not found",
            fix: "run 'bash scripts/install.sh' to provision pulumi-language-nodejs next to the CLI",
        });
        checks.push({
            name: "dynamic providers",
            ok: engine.dynamicProviderHost !== undefined,
            detail: engine.dynamicProviderHost ?? "pulumi-resource-pulumi-nodejs not found",
            fix: "run 'bash scripts/install.sh' to install pulumi-resource-pulumi-nodejs next to the CLI",
        });
    } catch (err) {
        checks.push({
            name: "pulumi",
            ok: false,
            detail: `no CLI fitting ${want}`,
            fix: err instanceof EnvironmentError ? err.message : String(err),
        });
    }
    checks.push({ name: "state backend", ok: true, detail: ctx.stateUrl });
    checks.push({ name: "config", ok: true, detail: ctx.configPath });

    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
        const mark = c.ok ? ctx.style.green("ok  ") : ctx.style.red("FAIL");
        ctx.out(`${mark} ${c.name.padEnd(width)}  ${c.detail}`);
        if (!c.ok && c.fix) {
            ctx.out(`     ${" ".repeat(width)}  fix: ${c.fix}`);
        }
    }
    return checks.every((c) => c.ok) ? 0 : 3;
}
