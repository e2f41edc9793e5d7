/** What a release would do, written nowhere: previews (ours, and Pulumi's), saved plans, the stack to look at. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SavedPlan } from "../governance/plans";
import { savePlan } from "../governance/plans";
import type { PreviewOptions, SavePlanOptions } from "./options";
import { previewWithEngine, renderEnginePreview } from "../release/enginePreview";
import { promoteProject } from "../pulumi/promoteProgram";
import type { PromoteStackInfo } from "../pulumi/stackInfo";
import { promoteStackInfo } from "../pulumi/stackInfo";
import type { PreviewResult } from "../release/preview";
import { previewRelease } from "../release/preview";
import { newReleaseId } from "../record/releaseRecord";
import { stackSeen } from "../pulumi/stateBackend";
import type { EngineRuntime } from "./runtime";

/** What a release would change in every environment, read from the live repositories; writes nothing. */
export async function preview(rt: EngineRuntime, o: PreviewOptions): Promise<PreviewResult> {
    return previewRelease(await rt.plan(o, { runsNothing: true }), rt.reader());
}

/**
 * The same answer as {@link preview}, from a real `pulumi preview` of the release's program on the product's
 * promote stack (the provider's `diff` reads each live branch); writes nothing.
 */
export async function enginePreview(rt: EngineRuntime, o: PreviewOptions): Promise<PreviewResult> {
    const planned = await rt.plan(o, { runsNothing: true });
    // A product that never released has no promote stack, and a preview must not create one (it writes nothing):
    // it previews an empty stack in a scratch backend instead, which is where the real one starts.
    const absent = (await stackSeen(rt.opts.backendUrl, promoteProject, o.product)) === "absent";
    const scratch = absent ? fs.mkdtempSync(path.join(os.tmpdir(), "promotions-preview-")) : undefined;
    try {
        return await previewWithEngine(planned, {
            stack: scratch
                ? await rt.openPromoteStack(o.product, `file://${scratch}`)
                : await rt.promoteStack(o.product),
            ...rt.reader(),
        });
    } finally {
        if (scratch) {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    }
}

/**
 * `preview --save-plan`: saves Pulumi's update plan of the release (a new release id and the source commit,
 * fixed) with the files it would change as read now; a release with `planFile` applies exactly it.
 */
export async function savedPlan(
    rt: EngineRuntime,
    o: SavePlanOptions,
): Promise<{ plan: SavedPlan; preview: PreviewResult }> {
    // Applying the plan plans again, and then demands what its workflows need.
    const planned = await rt.plan(o, { runsNothing: true });
    const { plan, steps } = await savePlan(planned, o.target, await rt.promoteStack(o.product), {
        ...rt.reader(),
        releaseId: newReleaseId(),
        file: o.file,
    });
    return { plan, preview: await renderEnginePreview(planned, steps, rt.reader()) };
}

/** How to reach a product's promote stack with the plain Pulumi CLI (the stack is created if needed). */
export async function stackInfo(rt: EngineRuntime, product: string): Promise<PromoteStackInfo> {
    rt.product(product);
    return promoteStackInfo(await rt.promoteStack(product), rt.opts);
}
