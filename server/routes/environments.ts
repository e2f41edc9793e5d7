import { createRoute } from "@hono/zod-openapi";
import type { Catalog, CatalogProduct } from "../../components/catalog";
import { selectTemplate } from "../../components/promotionTemplate.select";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { messageOf } from "../../model/errors";
import type { ArgoCdConfig } from "../../provider/health/argoCd";
import { getApplication } from "../../provider/health/argoCd";
import { Repository } from "../../provider/git/repository";
import { readCandidate } from "../../provider/promotion";
import type { ApiOptions } from "../apiOptions";
import type { RouteContext } from "./common";
import { apiBase, errors, findProduct, json, out, productParam } from "./common";
import * as s from "../schemas";

/** GET /products/{product}/environments: what is deployed where, from Git, the records and Argo CD. */
export function addEnvironmentRoutes({ app, o }: RouteContext): void {
    app.openapi(
        createRoute({
            method: "get",
            path: `${apiBase}/products/{product}/environments`,
            summary:
                "Per environment: the version there, its commit and the release that put it there; health",
            request: { params: productParam },
            responses: {
                200: json(s.ProductEnvironments, "The product's environments"),
                403: errors[403],
                404: errors[404],
                500: errors[500],
                503: errors[503],
            },
        }),
        async (c) => {
            const product = findProduct(o.catalog, c.req.valid("param").product);
            const records = await o.engine.releases(product.name);
            return c.json(out(await environmentsOf(o.catalog, product, records, o)), 200);
        },
    );
}

/** What Git holds now for an application: the tip of its branch and the version there. */
async function gitStateOf(
    catalog: Catalog,
    product: CatalogProduct,
    app: CatalogProduct["applications"][number],
    git: NonNullable<ApiOptions["git"]>,
    fetched: Map<string, Promise<Repository>>,
): Promise<{ gitCommit?: string; version?: string; gitError?: string }> {
    try {
        let repo = fetched.get(app.repoURL);
        if (!repo) {
            repo = Repository.open(app.repoURL, git.cacheDir, git.credentials).then(async (r) => {
                await r.fetch();
                return r;
            });
            fetched.set(app.repoURL, repo);
        }
        const r = await repo;
        const tip = await r.tip(await r.branchFor(app.targetRevision));
        if (!tip) {
            return { gitError: `no branch for targetRevision "${app.targetRevision}"` };
        }
        const template = selectTemplate({ product, application: app }, catalog.promotionTemplates);
        const candidate = await readCandidate(
            r,
            tip,
            { application: app.name, path: app.path },
            template.body,
        );
        return { gitCommit: tip, ...(candidate.version !== undefined ? { version: candidate.version } : {}) };
    } catch (e) {
        return { gitError: messageOf(e) };
    }
}

/**
 * GET /products/{product}/environments: per environment the version Git holds now (the template's
 * versionSource at the tip of the application's branch), the release that put it there (the newest that
 * succeeded there with that version; without Git, the newest that succeeded there), and with Argo CD
 * configured each application's health and sync now.
 */
export async function environmentsOf(
    catalog: Catalog,
    product: CatalogProduct,
    records: readonly ReleaseRecord[],
    o: Pick<ApiOptions, "git" | "argocd">,
) {
    const newestFirst = [...records].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const envNames = new Set(product.applications.map((a) => a.environment));
    const fetched = new Map<string, Promise<Repository>>();
    const environments = await Promise.all(
        catalog.environments
            .filter((e) => envNames.has(e.name))
            .map(async (env) => {
                const applications = await Promise.all(
                    product.applications
                        .filter((a) => a.environment === env.name)
                        .map(async (a) => ({
                            name: a.name,
                            ...(o.git ? await gitStateOf(catalog, product, a, o.git, fetched) : {}),
                            ...(o.argocd ? await healthOf(o.argocd, a.name, a.namespace) : {}),
                        })),
                );
                const gitVersion = applications.find((a) => a.version !== undefined)?.version;
                const succeeded = newestFirst.filter((r) =>
                    r.environments.some((x) => x.name === env.name && x.status === "Succeeded"),
                );
                const last =
                    gitVersion !== undefined ? succeeded.find((r) => r.version === gitVersion) : succeeded[0];
                const step = last?.environments.find((x) => x.name === env.name);
                const commit = step?.applications.find((a) => a.commitSha)?.commitSha;
                const version = gitVersion ?? last?.version;
                return {
                    name: env.name,
                    kind: env.kind,
                    ...(version !== undefined ? { version } : {}),
                    ...(commit ? { commit } : {}),
                    ...(last ? { release: last.id } : {}),
                    ...(step?.finishedAt ? { at: step.finishedAt } : {}),
                    applications,
                };
            }),
    );
    return { product: product.name, environments };
}

async function healthOf(config: ArgoCdConfig, name: string, namespace: string) {
    try {
        const app = await getApplication(config, { name, namespace }, AbortSignal.timeout(10_000));
        const st = app.status;
        return {
            ...(st?.health?.status ? { health: st.health.status } : {}),
            ...(st?.sync?.status ? { sync: st.sync.status } : {}),
            ...(st?.sync?.revision ? { revision: st.sync.revision } : {}),
        };
    } catch (e) {
        return { healthError: messageOf(e) };
    }
}
