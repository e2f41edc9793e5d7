import * as fs from "fs";
import * as path from "path";
import { manifestFiles } from "../../components/manifests";
import { initDefinitions } from "../../engine/init";
import { InvalidInputError } from "../../model/errors";
import type { InitCommandOptions } from "./init.args";
import type { CliDeps } from "../context";
import { displayText } from "../display";

/** A path as the user would type it: relative to the working directory when it is inside it. */
function shown(p: string): string {
    const rel = path.relative(process.cwd(), p);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/**
 * `promote init --repo URL|DIR`: reads a GitOps repository and writes proposed definitions (environments,
 * applications, products with templates, flows) as Codefresh-style YAML, saying every guess.
 */
export async function init(opts: InitCommandOptions, deps: Pick<CliDeps, "io">): Promise<number> {
    const { io } = deps;
    const existing =
        fs.existsSync(opts.out) && fs.statSync(opts.out).isDirectory() ? manifestFiles(opts.out) : [];
    if (fs.existsSync(opts.out) && !fs.statSync(opts.out).isDirectory()) {
        throw new InvalidInputError(
            `--out ${shown(opts.out)} is a file: give a directory for the definitions`,
            { path: "--out" },
        );
    }
    if (existing.length > 0 && !opts.force) {
        throw new InvalidInputError(
            `${shown(opts.out)} already holds definitions (${existing.map((f) => path.relative(opts.out, f)).join(", ")}): ` +
                "pass --force to write over them, or --out another directory",
            { path: "--out" },
        );
    }
    const result = await initDefinitions({
        repo: opts.repo,
        ...(opts.branch ? { branch: opts.branch } : {}),
        ...(opts.credentials ? { credentials: opts.credentials } : {}),
    });
    const { proposal: p } = result;
    io.out(
        `read ${displayText(result.source)}: ${result.scanned.files} files, ${result.scanned.applications} Argo CD application(s), ${result.scanned.stages} Kargo stage(s)`,
    );
    const production = p.environments.filter((e) => e.kind === "production").map((e) => e.name);
    io.out(
        `environments: ${p.environments.map((e) => e.name).join(", ")}` +
            (production.length > 0 ? ` (production: ${production.join(", ")})` : " (none production)"),
    );
    for (const product of p.products) {
        const flow = p.flows.find((f) => f.name === product.flow)!;
        const apps = p.applications.filter((a) => a.product === product.name);
        io.out(
            `product ${product.name}: ${apps.length} applications (${apps.map((a) => a.name).join(", ")})`,
        );
        io.out(
            `  flow ${flow.name}: ${flow.trigger} → ${flow.steps.map((s) => `${s.environment} (after ${s.dependsOn.join(", ")})`).join(", ")}`,
        );
        io.out(`  order from ${flow.why}`);
        for (const v of product.values) {
            io.out(`  promotes ${v.file} ${v.jsonPath}`);
        }
        if (product.versionSource) {
            io.out(`  version from ${product.versionSource.file} ${product.versionSource.jsonPath}`);
        }
        for (const r of product.remarks) {
            io.out(`  ${r}`);
        }
    }
    const section = (title: string, lines: readonly string[]) => {
        if (lines.length > 0) {
            io.out(title);
            lines.forEach((l) => io.out(`  - ${displayText(l)}`));
        }
    };
    section("guesses (also written as comments):", p.guesses);
    section(
        "left out:",
        p.skipped.map((s) => `${s.what}: ${s.why}`),
    );
    section("to decide:", p.decide);

    fs.mkdirSync(opts.out, { recursive: true });
    for (const file of result.files) {
        fs.writeFileSync(path.join(opts.out, file.name), file.text);
    }
    const ours = new Set(result.files.map((f) => path.join(opts.out, f.name)));
    const others = existing.filter((f) => !ours.has(f));
    io.out(`wrote ${result.files.map((f) => path.join(shown(opts.out), f.name)).join(", ")}`);
    if (others.length > 0) {
        io.err(
            io.style.yellow(
                `warning: ${others.map((f) => path.relative(opts.out, f)).join(", ")} in ${shown(opts.out)} were left as they were and load with the new files: remove them if they describe the same things`,
            ),
        );
    }
    const config = `--config ${shown(opts.out)}`;
    const first = p.products[0];
    io.out("next:");
    io.out(`  promote ${config} validate`);
    io.out(`  promote ${config} preview --product ${first.name} --flow ${first.flow}`);
    io.out(`  promote ${config} trigger --product ${first.name} --flow ${first.flow}`);
    return 0;
}
