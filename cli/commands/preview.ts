import type { PreviewCommandOptions } from "../args";
import type { CliDeps } from "../context";
import { describeViolation } from "../../engine/policyPacks";
import { formatPreview } from "../output";

/**
 * `promote preview`: what a release would change, environment by environment, read from the live repos.
 * In-process by default (fast); `--engine` runs a real `pulumi preview` on the promote stack (the provider's
 * diff decides), with the same output.
 */
export async function preview(
    opts: PreviewCommandOptions,
    deps: Pick<CliDeps, "io" | "engine">,
): Promise<number> {
    const engine = await deps.engine();
    const request = {
        product: opts.product,
        target: opts.target,
        ...(opts.sourceCommit ? { sourceCommit: opts.sourceCommit } : {}),
        ...(opts.policyPacks ? { policyPacks: opts.policyPacks } : {}),
    };
    const result = opts.engine ? await engine.previewWithEngine(request) : await engine.preview(request);
    if (opts.json) {
        deps.io.out(JSON.stringify(result, null, 2));
    } else {
        formatPreview(result, deps.io.style).forEach((l) => deps.io.out(l));
        for (const e of result.environments) {
            for (const v of e.policyViolations ?? []) {
                const line = `${e.name}: ${describeViolation(v)}`;
                deps.io.out(v.level === "mandatory" ? `blocked ${line}` : `warning: ${line}`);
            }
        }
    }
    if (opts.savePlan) {
        const saved = await engine.savePlan({ ...request, file: opts.savePlan });
        const note =
            `plan saved to ${opts.savePlan}: release ${saved.releaseId}, source commit ${saved.sourceCommit.slice(0, 12)}, ` +
            `${saved.files.length} file(s) to change; apply it with 'promote trigger --plan ${opts.savePlan}' ` +
            "(Pulumi update plans are experimental: PULUMI_EXPERIMENTAL is set for the promote stack's commands only)";
        (opts.json ? deps.io.err : deps.io.out)(note);
    }
    return 0;
}
