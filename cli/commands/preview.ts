import type { PreviewCommandOptions } from "./preview.args";
import type { CliDeps } from "../context";
import { describeViolation } from "../../engine/governance/policyPacks";
import { formatPreview } from "../output";

/**
 * `promote preview`: what a release would change, environment by environment, read from the live repos.
 * In-process by default (fast); `--engine` runs a real `pulumi preview` on the promote stack (the provider's
 * diff decides), with the same output. `--save-plan FILE` saves Pulumi's update plan of the release (its
 * preview is the engine's preview shown).
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
    // --save-plan: the plan's own preview is the engine's preview (policy packs need one of their own).
    const saved = opts.savePlan ? await engine.savePlan({ ...request, file: opts.savePlan }) : undefined;
    const result =
        saved && !opts.policyPacks
            ? saved.preview
            : opts.engine
              ? await engine.previewWithEngine(request)
              : await engine.preview(request);
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
    if (saved) {
        const note =
            `plan saved to ${opts.savePlan}: release ${saved.plan.releaseId}, source commit ${saved.plan.sourceCommit.slice(0, 12)}, ` +
            `${saved.plan.files.length} file(s) to change; apply it with 'promote trigger --plan ${opts.savePlan}' ` +
            "(Pulumi update plans are experimental: PULUMI_EXPERIMENTAL is set for the promote stack's commands only)";
        (opts.json ? deps.io.err : deps.io.out)(note);
    }
    return 0;
}
