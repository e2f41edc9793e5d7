import * as assert from "assert";
import { OpenAPIHono } from "@hono/zod-openapi";
import { buildCatalog } from "../../../components/catalog";
import type { ReleaseRecord } from "../../../engine/record/releaseRecord";
import {
    matchRoute,
    onReleaseEnvironment,
    permissionGuard,
    routePermissions,
    subjectOf,
} from "../../../server/permissions";
import { developer, permissionDefinitions } from "../../support/permissionRules";

describe("server: the permission table", () => {
    const { catalog } = buildCatalog(permissionDefinitions());

    it("maps each call to its row with the path parameters", () => {
        const m = matchRoute(routePermissions, "post", "/releases/r%201/retry");
        assert.strictEqual(m?.row.path, "/releases/:id/retry");
        assert.deepStrictEqual(m?.params, { id: "r 1" });
        assert.strictEqual(matchRoute(routePermissions, "GET", "/releases/r1/retry"), undefined);
        assert.strictEqual(matchRoute(routePermissions, "GET", "/products")?.row.needs, "open");
    });

    it("a route with no row is refused while rules exist; an unknown path still reaches the 404", async () => {
        const app = new OpenAPIHono();
        app.use(
            "/api/v1/*",
            permissionGuard({
                catalog,
                base: "/api/v1",
                release: () => Promise.reject(new Error("none")),
                app,
            }),
        );
        app.post("/api/v1/releases/:id/new-thing", (c) => c.json({ ok: true }));
        const unlisted = await app.request("/api/v1/releases/r1/new-thing", { method: "POST" });
        assert.strictEqual(unlisted.status, 403);
        assert.match(
            ((await unlisted.json()) as { error: { message: string } }).error.message,
            /POST \/api\/v1\/releases\/r1\/new-thing has no permission row: add it to routePermissions in server\/permissions\.ts/,
        );
        assert.strictEqual((await app.request("/api/v1/nothing", { method: "POST" })).status, 404);
        const open = new OpenAPIHono();
        open.use(
            "/api/v1/*",
            permissionGuard({
                catalog: { ...catalog, permissions: [] },
                base: "/api/v1",
                release: () => Promise.reject(new Error("none")),
                app: open,
            }),
        );
        open.post("/api/v1/releases/:id/new-thing", (c) => c.json({ ok: true }));
        assert.strictEqual(
            (await open.request("/api/v1/releases/r1/new-thing", { method: "POST" })).status,
            200,
        );
    });

    it("the subject: the hook's, else the request's subject variable, else the local loopback user", async () => {
        const app = new OpenAPIHono<{ Variables: { subject: typeof developer } }>();
        app.get("/plain", (c) => c.json(subjectOf(c)));
        app.get("/set", async (c) => {
            c.set("subject", developer);
            return c.json(subjectOf(c));
        });
        app.get("/hook", (c) => c.json(subjectOf(c, () => ({ user: "hooked", groups: [], via: "oidc" }))));
        assert.deepStrictEqual(await (await app.request("/plain")).json(), {
            user: "local",
            groups: [],
            via: "loopback",
        });
        assert.deepStrictEqual(await (await app.request("/set")).json(), developer);
        assert.deepStrictEqual(await (await app.request("/hook")).json(), {
            user: "hooked",
            groups: [],
            via: "oidc",
        });
    });

    it("onReleaseEnvironment: a row for one environment of a release, named in the body (an approval)", async () => {
        const rules = buildCatalog({
            ...permissionDefinitions(),
            promotionPermissions: [
                {
                    name: "qa-approvers",
                    subjects: [{ group: "developers" }],
                    actions: ["approve"],
                    environments: { names: ["qa"] },
                },
            ],
        }).catalog;
        const record = {
            product: "shop",
            flow: "to-prod",
            environments: [{ name: "qa" }, { name: "prod" }],
        } as unknown as ReleaseRecord;
        const app = new OpenAPIHono();
        app.use(
            "/api/v1/*",
            permissionGuard({
                catalog: rules,
                base: "/api/v1",
                release: async () => record,
                identify: () => developer,
                table: [
                    { method: "POST", path: "/releases/:id/approve", needs: onReleaseEnvironment("approve") },
                ],
                app,
            }),
        );
        app.post("/api/v1/releases/:id/approve", async (c) => c.json(await c.req.json()));
        const approve = (environment: string) =>
            app.request("/api/v1/releases/r1/approve", {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ environment }),
            });
        const qa = await approve("qa");
        assert.strictEqual(qa.status, 200);
        assert.deepStrictEqual(await qa.json(), { environment: "qa" }, "the route still reads the body");
        const prod = await approve("prod");
        assert.strictEqual(prod.status, 403);
        assert.match(
            ((await prod.json()) as { error: { message: string } }).error.message,
            /to approve or reject promotions to environment "prod" of product "shop" in flow "to-prod"; add a rule with action approve/,
        );
    });
});
