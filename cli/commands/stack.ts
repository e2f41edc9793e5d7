import * as path from "path";
import type { PromoteStackInfo } from "../../engine/promoteEngine";
import type { StackCommandOptions } from "./stack.args";
import type { CliDeps } from "../context";

/** Single-quoted for a POSIX shell. */
const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** What `promote stack` prints (its --json is this object). */
export interface StackDescription extends Omit<PromoteStackInfo, "path" | "pulumi"> {
    /** Set these (values as given) before running the commands. */
    readonly env: Readonly<Record<string, string>>;
    /** Set too, to the passphrase `promote` uses; never printed. */
    readonly passphraseVariable: "PULUMI_CONFIG_PASSPHRASE";
    readonly commands: { readonly history: string; readonly output: string; readonly preview: string };
}

export function describeStack(info: PromoteStackInfo, opts: StackCommandOptions): StackDescription {
    const { path: searchPath, pulumi: _pulumi, ...where } = info;
    const s = quote(info.stack);
    return {
        ...where,
        env: {
            PULUMI_BACKEND_URL: info.backendUrl,
            PATH: searchPath,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PROMOTIONS_CONFIG: opts.configPath,
            PROMOTIONS_GIT_CACHE: opts.gitCacheDir,
            ...(opts.flow ? { PROMOTIONS_FLOW: opts.flow } : {}),
        },
        passphraseVariable: "PULUMI_CONFIG_PASSPHRASE",
        commands: {
            history: `pulumi stack history --json --stack ${s} --cwd ${quote(info.workspace)}`,
            output: `pulumi stack output --json --stack ${s} --cwd ${quote(info.workspace)}`,
            preview:
                `pulumi preview --diff --stack ${s} --cwd ${quote(info.program)} ` +
                `--config-file ${quote(info.settingsFile)}`,
        },
    };
}

/**
 * `promote stack --product P`: what the plain Pulumi CLI needs to work on the product's promote stack (the
 * backend, project and stack names, the workspace, the environment and the exact commands). The stack is
 * created if it does not exist yet; the passphrase is never printed.
 */
export async function stack(
    opts: StackCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const engine = await deps.engine();
    const d = describeStack(await engine.stackInfo(opts.product), opts);
    if (opts.json) {
        deps.io.out(JSON.stringify(d, null, 2));
        return 0;
    }
    const { io } = deps;
    const nodeAndEngine = d.env.PATH.split(path.delimiter).slice(0, 2).join(path.delimiter);
    io.out(`${io.style.bold("promote stack")}  ${d.stack}`);
    io.out(`  backend    ${d.backendUrl}`);
    io.out(`  project    ${d.project}`);
    io.out(`  stack      ${d.stack}`);
    io.out(`  workspace  ${d.workspace}`);
    io.out(
        io.style.dim(`             ${path.basename(d.settingsFile)} there holds the stack's passphrase salt`),
    );
    io.out(`  program    ${d.program}`);
    io.out(
        io.style.dim(
            "             previews the next release: pulumi preview only, releases run through promote",
        ),
    );
    io.out("");
    io.out("environment:");
    for (const [k, v] of Object.entries(d.env)) {
        io.out(`  export ${k}=${k === "PATH" ? `${quote(nodeAndEngine)}:"$PATH"` : quote(v)}`);
    }
    io.out(
        `  export ${d.passphraseVariable}=...  ${io.style.dim("# set it: the passphrase promote uses (not shown)")}`,
    );
    if (!opts.flow) {
        io.out(
            io.style.dim("  # PROMOTIONS_FLOW=F chooses the flow to preview (default: the product's first)"),
        );
    }
    io.out("");
    io.out("commands:");
    io.out(`  ${d.commands.history}   ${io.style.dim("# one update per release")}`);
    io.out(
        `  ${d.commands.output}    ${io.style.dim("# the latest release: releaseId, flow, sourceCommit, version")}`,
    );
    io.out(`  ${d.commands.preview}   ${io.style.dim("# the next release's promotion diff")}`);
    return 0;
}
