/**
 * Using the promote engine from CI through the Automation API (the snippet the README shows; compiled with
 * the project so it stays true). Run with: node dist/examples/ci.js <product> <flow>
 */
import { loadCatalog, locateEngine, PromoteEngine, publicRecord } from "../index";

async function main(): Promise<void> {
    const [product, flow] = process.argv.slice(2);
    const engine = PromoteEngine.create({
        catalog: loadCatalog("promotions"), // YAML manifests or a JS/TS definitions module
        engine: await locateEngine(), // the provisioned Pulumi CLI, or one on PATH
        backendUrl: process.env.PROMOTIONS_STATE ?? "s3://my-promotions-state?region=eu-west-1",
        passphrase: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
        gitCacheDir: ".promotions/git-cache",
        gitTokens: { "github.com": process.env.GITHUB_TOKEN ?? "" },
        workflowDir: "promotions",
        onProgress: (e) =>
            e.type === "environment" && console.log(`${e.environment.name} ${e.environment.status}`),
    });
    const record = await engine.release({ product, target: { flow } });
    console.log(JSON.stringify(publicRecord(record), null, 2));
    process.exitCode = record.status === "Succeeded" ? 0 : 1;
}

main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
});
