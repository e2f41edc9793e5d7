import * as assert from "assert";
import { buildCatalog } from "../../../components/catalog";
import type { Hold } from "../../../engine/governance/holds";
import type { ServerEngine } from "../../../server/api";
import { createApi } from "../../../server/api";
import type { OpenApiDoc } from "../../support/apiSchema";
import { ApiSchema } from "../../support/apiSchema";
import { scenarioDefinitions } from "../../support/scenario";

describe("server: GET /api/v1/products/{product}/holds", function () {
    this.timeout(10_000);
    const catalog = buildCatalog(
        scenarioDefinitions({
            product: "web",
            repoURL: "file:///r",
            environments: [{ name: "dev" }, { name: "qa" }],
            flows: [
                {
                    name: "seq",
                    triggerEnvironment: "dev",
                    steps: [{ environment: "qa", dependsOn: ["dev"] }],
                },
            ],
        }),
    ).catalog;
    const held: Hold = {
        product: "web",
        environment: "qa",
        by: "alice",
        at: "2026-11-23T12:00:00.000Z",
        reason: "load test",
        active: true,
    };
    const unused = () => Promise.reject(new Error("not called"));

    async function get(engine: ServerEngine, path: string) {
        const api = createApi({ catalog, engine, csrfToken: "tok".repeat(10) });
        const schema = new ApiSchema(
            (await (await api.app.request("/api/v1/openapi.json")).json()) as OpenApiDoc,
        );
        const res = await api.app.request(path);
        const json = (await res.json()) as unknown;
        assert.deepStrictEqual(schema.violations("GET", path, res.status, json), []);
        return { status: res.status, json };
    }

    const engine = (holds?: Hold[]): ServerEngine => ({
        preview: unused,
        release: unused,
        retry: unused,
        terminate: unused,
        releases: unused,
        find: unused,
        ...(holds ? { holds: async () => holds } : {}),
    });

    it("lists who holds which environment, when and why", async () => {
        assert.deepStrictEqual(await get(engine([held]), "/api/v1/products/web/holds"), {
            status: 200,
            json: {
                product: "web",
                holds: [
                    { environment: "qa", by: "alice", at: "2026-11-23T12:00:00.000Z", reason: "load test" },
                ],
            },
        });
    });

    it("answers none from an engine without holds, and 404 for an unknown product", async () => {
        assert.deepStrictEqual((await get(engine(), "/api/v1/products/web/holds")).json, {
            product: "web",
            holds: [],
        });
        const unknown = await get(engine([held]), "/api/v1/products/nope/holds");
        assert.strictEqual(unknown.status, 404);
        assert.match(JSON.stringify(unknown.json), /unknown product \\"nope\\"/);
    });
});
