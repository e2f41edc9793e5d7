/**
 * The promote stack's program as a local Pulumi program (programs/promote/Pulumi.yaml), for the plain Pulumi
 * CLI: `pulumi preview --diff --stack <product>` plans the product's next release from the live repositories
 * and registers the same resources as the release's own update (previewProgram: hooks do not run in a
 * preview), so each EnvironmentPromotion's `diff` reads its target branch. Preview only: an update outside `promote trigger`
 * would write without a release record, so it is refused.
 *
 * Settings, from the environment `promote stack --product P` prints: PROMOTIONS_CONFIG (the definitions),
 * PROMOTIONS_FLOW (default: the product's first flow), PROMOTIONS_GIT_CACHE, PROMOTIONS_GIT_TOKENS,
 * PROMOTIONS_ARGO_URL, PROMOTIONS_ARGOCD_URL (as for `promote`).
 */
import * as pulumi from "@pulumi/pulumi";
import { settingsFrom } from "../../cli/context";
import { loadCatalog } from "../../components/config";
import { previewProgram } from "../../engine/release/enginePreview";
import { planRelease } from "../../engine/release/planRelease";

async function nextRelease(): Promise<Record<string, unknown>> {
    if (!pulumi.runtime.isDryRun()) {
        throw new pulumi.RunError(
            "this program only previews (pulumi preview --diff): releases run through `promote trigger`, which records them",
        );
    }
    const settings = settingsFrom({ noColor: true }, process.env, process.cwd(), false);
    const catalog = loadCatalog(settings.configPath, {
        ...(settings.applicationNamespace ? { applicationNamespace: settings.applicationNamespace } : {}),
    });
    const product = pulumi.getStack();
    const flow =
        process.env.PROMOTIONS_FLOW ??
        catalog.products.find((p) => p.name === product)?.promotionFlows?.[0]?.name;
    if (!flow) {
        throw new pulumi.RunError(
            `product "${product}" (the stack's name) has no flow in ${settings.configPath}: set PROMOTIONS_FLOW`,
        );
    }
    const planned = await planRelease({
        catalog,
        product,
        target: { flow },
        cacheDir: settings.gitCacheDir,
        credentials: { tokens: settings.gitTokens },
        services: { argo: settings.argo, argocd: settings.argocd },
        runsNothing: true, // a preview: hooks do not run
    });
    return previewProgram(planned, settings.gitCacheDir)();
}

export = nextRelease;
