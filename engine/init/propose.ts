import * as path from "path";
import type { Discovery, FoundApplication, Note } from "./discover";
import { dnsName, environmentIn, isProduction } from "./environmentNames";
import type { FlowShape } from "./flowOrder";
import { flowFor, lastStage, ordered } from "./flowOrder";
import { applicationsFromFolders, environmentInPath, repoName } from "./folders";
import type { PromotedValue } from "./promotedValues";
import { candidatesIn, valueAt } from "./promotedValues";
import type { RepositorySnapshot } from "./repositorySnapshot";
import { normalizeRepoUrl, readBranch } from "./repositorySnapshot";

/** One application of the proposal: where it deploys from, and why it is in its environment and product. */
export interface ProposedApplication {
    readonly name: string;
    readonly namespace: string;
    readonly project?: string;
    readonly repoURL: string;
    readonly path: string;
    readonly targetRevision: string;
    readonly destination?: FoundApplication["destination"];
    readonly environment: string;
    readonly product: string;
    /** Where it came from, and how its environment and product were read (the comments in the YAML). */
    readonly origin: string;
    readonly environmentWhy: string;
    readonly productWhy: string;
}

export interface ProposedEnvironment {
    readonly name: string;
    readonly kind: "production" | "non-production";
    readonly why: string;
}

export interface ProposedProduct {
    readonly name: string;
    readonly why: string;
    readonly flow: string;
    /** Ordered as the flow crosses them. */
    readonly environments: readonly string[];
    readonly values: readonly PromotedValue[];
    readonly versionSource?: PromotedValue;
    /** The application the values were read from (the flow's trigger environment). */
    readonly sourceApplication: string;
    /** Values found in the source but not in every target (left out), and similar remarks. */
    readonly remarks: readonly string[];
}

/** A flow's shape, named (products with the same environments in the same order share it). */
export interface ProposedFlow extends FlowShape {
    readonly name: string;
}

export interface Proposal {
    readonly environments: readonly ProposedEnvironment[];
    readonly applications: readonly ProposedApplication[];
    readonly products: readonly ProposedProduct[];
    readonly flows: readonly ProposedFlow[];
    /** Guesses a person should check (printed and written as comments). */
    readonly guesses: readonly string[];
    /** What was found and left out, and why. */
    readonly skipped: readonly Note[];
    /** What a person still has to decide. */
    readonly decide: readonly string[];
}

type Files = Pick<RepositorySnapshot, "paths" | "files">;

interface Placed {
    readonly environment: string;
    readonly why: string;
}

function environmentOf(app: FoundApplication, stages: ReadonlySet<string>): Placed | undefined {
    const a = app.annotations;
    if (a["promotions/environment"]) {
        return { environment: a["promotions/environment"], why: "its promotions/environment annotation" };
    }
    const kargo = a["kargo.akuity.io/authorized-stage"];
    if (kargo && kargo.includes(":")) {
        return {
            environment: dnsName(kargo.split(":")[1]),
            why: "its kargo.akuity.io/authorized-stage annotation",
        };
    }
    if (app.generated?.varying) {
        const { key, value } = app.generated.varying;
        return {
            environment: dnsName(value),
            why: `ApplicationSet "${app.generated.applicationSet}" element ${key}=${value}`,
        };
    }
    const inPath = app.path !== "." ? environmentInPath(app.path) : undefined;
    if (inPath) {
        return { environment: inPath.environment, why: `its path ${app.path}` };
    }
    for (const [what, value] of [
        ["name", app.name],
        ["destination namespace", app.destination?.namespace],
        ["destination cluster", app.destination?.name],
        ["destination server", /^[a-z]+:\/\/([^/:.]+)/i.exec(app.destination?.server ?? "")?.[1]],
        ["targetRevision", app.targetRevision.split("/").pop()],
    ] as const) {
        if (!value) {
            continue;
        }
        const known = [...stages].find((s) => value === s || value.endsWith(`-${s}`));
        const found = known ?? environmentIn(value)?.environment;
        if (found) {
            return { environment: dnsName(found), why: `its ${what} ${value}` };
        }
    }
    return undefined;
}

function productOf(app: FoundApplication, environment: string): { key: string; name: string; why: string } {
    const annotated = app.annotations["codefresh.io/product"];
    if (annotated) {
        return {
            key: `annotation:${annotated}`,
            name: annotated,
            why: "its codefresh.io/product annotation",
        };
    }
    if (app.generated) {
        return {
            key: `appset:${app.file}:${app.generated.applicationSet}`,
            name: dnsName(app.generated.applicationSet),
            why: `ApplicationSet "${app.generated.applicationSet}" made it`,
        };
    }
    // The path without its environment part: what the applications of one product share.
    const inPath = app.path !== "." ? environmentInPath(app.path) : undefined;
    const segments = app.path.split("/");
    if (inPath) {
        segments[inPath.index] = inPath.suffixOf ? `${inPath.suffixOf}-{env}` : "{env}";
    }
    const pattern = segments.join("/");
    let stripped = app.name.toLowerCase();
    for (const env of [environment, inPath?.environment]) {
        if (env) {
            stripped = stripped.replace(
                new RegExp(`(^|[-.])${env.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[-.])`),
                "$1$2",
            );
        }
    }
    stripped = dnsName(stripped);
    return {
        key: `path:${normalizeRepoUrl(app.repoURL)}:${pattern}`,
        name: stripped || dnsName(app.name),
        why: `its name ${app.name} without the environment, and its path pattern ${pattern}`,
    };
}

function filesUnder(files: Files, dir: string): Map<string, string> {
    const prefix = dir === "." ? "" : `${dir}/`;
    return new Map(
        [...files.files]
            .filter(([p]) => p.startsWith(prefix))
            .map(([p, t]) => [p.slice(prefix.length), t] as const),
    );
}

export interface ProposeOptions {
    readonly snapshot: RepositorySnapshot;
    readonly discovery: Discovery;
}

/** Turns what was found into environments, products, templates and flows, saying every guess. */
export async function propose({ snapshot, discovery }: ProposeOptions): Promise<Proposal> {
    const skipped: Note[] = [...discovery.skipped];
    const guesses: string[] = [];
    const decide: string[] = [];
    const stageNames = new Set(discovery.stages.map((s) => s.name));
    const branchFiles = new Map<string, Files | undefined>();
    const filesAt = async (revision: string): Promise<Files | undefined> => {
        if (revision === "HEAD" || revision === snapshot.revision) {
            return snapshot;
        }
        if (!branchFiles.has(revision)) {
            branchFiles.set(revision, await readBranch(snapshot, revision));
        }
        return branchFiles.get(revision);
    };

    // Which repository URLs are this one: its own spellings, and any URL whose paths all exist here.
    const selfUrls = new Set(snapshot.aliases);
    const foreign = new Map<string, FoundApplication[]>();
    for (const app of discovery.applications) {
        const url = normalizeRepoUrl(app.repoURL);
        if (app.repoURL && !selfUrls.has(url)) {
            foreign.set(url, [...(foreign.get(url) ?? []), app]);
        }
    }
    for (const [url, apps] of foreign) {
        // A folder of this repository named by the Application is the evidence; the root proves nothing.
        const git = apps.filter((a) => !a.unsupportedSource && a.path !== ".");
        const found = git.filter((a) => snapshot.paths.some((p) => p.startsWith(`${a.path}/`)));
        const sameName = dnsName(path.posix.basename(url)) === repoName(snapshot);
        if (found.length > 0 || sameName) {
            selfUrls.add(url);
            guesses.push(
                `${found.length > 0 ? `${found.length} of the ${git.length} Applications naming ${apps[0].repoURL} deploy folders of the repository read` : `${apps[0].repoURL} has the name of the repository read`}, so it is taken to be that repository and the definitions name ${snapshot.url}. If it is another repository, run init on it.`,
            );
        }
    }

    // Applications that deploy other Applications (app of apps) are not part of a product.
    const parents = new Set(
        discovery.applications
            .filter(
                (p) =>
                    p.path !== "." &&
                    discovery.applications.some((c) => c !== p && c.file.startsWith(`${p.path}/`)),
            )
            .map((p) => p.name),
    );

    const usable: FoundApplication[] = [];
    for (const app of discovery.applications) {
        const what = `Application "${app.name}" (${app.origin})`;
        if (app.unsupportedSource) {
            skipped.push({ what, why: app.unsupportedSource });
        } else if (!selfUrls.has(normalizeRepoUrl(app.repoURL))) {
            skipped.push({
                what,
                why: `it deploys from another repository (${app.repoURL}); run promote init on that repository`,
            });
        } else if (
            app.targetRevision !== "HEAD" &&
            !snapshot.branches.has(app.targetRevision) &&
            snapshot.gitDir
        ) {
            skipped.push({
                what,
                why: `it deploys ${app.targetRevision}, which is not a branch of this repository (a tag, a commit, or a branch rendered by another tool such as Kargo); promotions commit to a branch`,
            });
        } else if (parents.has(app.name)) {
            skipped.push({
                what,
                why: "it deploys other Applications (app of apps); its children are read instead",
            });
        } else {
            const files = await filesAt(app.targetRevision);
            if (files && app.path !== "." && !files.paths.some((p) => p.startsWith(`${app.path}/`))) {
                skipped.push({ what, why: `its path ${app.path} does not exist at ${app.targetRevision}` });
            } else {
                usable.push(app);
            }
        }
    }

    let candidates = usable;
    if (usable.length === 0) {
        candidates = applicationsFromFolders(snapshot, skipped);
        if (candidates.length > 0 && discovery.applications.length > 0) {
            guesses.push(
                "No Argo CD Application of this repository could be used (see the skipped list); the applications are made up from its environment folders, each deploying its folder from the branch read. Check that your Applications deploy these folders.",
            );
        } else if (candidates.length > 0) {
            guesses.push(
                "The repository holds no Argo CD Application: one application is proposed per environment folder (name <product>-<environment>, namespace argocd, destination from the Kustomize namespace where there is one). Write the same into your Argo CD Applications, or change these.",
            );
        }
    }

    const applications: ProposedApplication[] = [];
    const takenNames = new Set<string>();
    const groups = new Map<string, { name: string; why: string; apps: ProposedApplication[] }>();
    for (const app of candidates) {
        const placed = environmentOf(app, stageNames);
        if (!placed) {
            skipped.push({
                what: `Application "${app.name}" (${app.origin})`,
                why: "no environment in its annotations, path, name, destination (namespace, cluster, server) or branch: annotate it promotions/environment: <env>",
            });
            continue;
        }
        const product = productOf(app, placed.environment);
        const proposed: ProposedApplication = {
            name: dnsName(app.name),
            namespace: app.namespace,
            ...(app.project ? { project: app.project } : {}),
            repoURL: snapshot.url,
            path: app.path,
            targetRevision: app.targetRevision,
            ...(app.destination ? { destination: app.destination } : {}),
            environment: placed.environment,
            product: product.name,
            origin: app.origin,
            environmentWhy: placed.why,
            productWhy: product.why,
        };
        const group = groups.get(product.key) ?? { name: product.name, why: product.why, apps: [] };
        group.apps.push(proposed);
        groups.set(product.key, group);
    }

    // Several groups may have found one name (two folders called `web`): keep names unique.
    const names = new Set<string>();
    const products: ProposedProduct[] = [];
    const flows = new Map<string, ProposedFlow>();
    const seen = new Map<string, string>();
    for (const group of groups.values()) {
        const envs = ordered(group.apps.map((a) => a.environment));
        if (envs.length < 2) {
            skipped.push({
                what: `product ${group.name} (${group.apps.map((a) => a.name).join(", ")})`,
                why: `it is in one environment only (${envs[0]}): there is nothing to promote it between`,
            });
            continue;
        }
        // Copies of one ApplicationSet (examples in several spellings) deploy the very same folders.
        const signature = JSON.stringify(
            group.apps.map((a) => `${a.environment} ${a.path}@${a.targetRevision}`).sort(),
        );
        const twin = seen.get(signature);
        if (twin) {
            skipped.push({
                what: `product ${group.name} (${group.apps.map((a) => a.origin).join("; ")})`,
                why: `its applications deploy the same folders in the same environments as product ${twin}, which is proposed once`,
            });
            continue;
        }
        let name = group.name;
        for (let i = 2; names.has(name); i++) {
            name = `${group.name}-${i}`;
        }
        names.add(name);
        seen.set(signature, name);
        // Two manifests may name one application (copies for two clusters): names stay unique.
        const apps = group.apps.map((a) => {
            let appName = a.name;
            for (let i = 2; takenNames.has(appName); i++) {
                appName = `${a.name}-${i}`;
            }
            takenNames.add(appName);
            return { ...a, name: appName, product: name };
        });
        const shape = flowFor(envs, discovery.stages);
        const flowName = `${shape.trigger}-to-${lastStage(shape)}`;
        const key = JSON.stringify([shape.trigger, shape.steps]);
        let flow = [...flows.values()].find((f) => JSON.stringify([f.trigger, f.steps]) === key);
        if (!flow) {
            let fname = flowName;
            for (let i = 2; [...flows.values()].some((f) => f.name === fname); i++) {
                fname = `${flowName}-${i}`;
            }
            flow = { name: fname, ...shape };
            flows.set(fname, flow);
        }
        const envOrder = [shape.trigger, ...shape.steps.map((s) => s.environment)];
        const source = apps.find((a) => a.environment === shape.trigger)!;
        const sourceFiles = await filesAt(source.targetRevision);
        const found = sourceFiles ? candidatesIn(filesUnder(sourceFiles, source.path)) : [];
        const values: PromotedValue[] = [];
        const remarks: string[] = [];
        for (const value of found) {
            const missing: string[] = [];
            for (const target of apps.filter((a) => a !== source)) {
                const files = await filesAt(target.targetRevision);
                const text = files?.files.get(
                    target.path === "." ? value.file : `${target.path}/${value.file}`,
                );
                if (valueAt(text, value.jsonPath) === undefined) {
                    missing.push(target.name);
                }
            }
            if (missing.length > 0) {
                remarks.push(
                    `not promoted: ${value.file} ${value.jsonPath} (${value.what}): ${missing.join(", ")} lack it`,
                );
            } else {
                values.push(value);
            }
        }
        const versionSource = [...values].sort((a, b) => a.versionRank - b.versionRank)[0];
        if (values.length === 0) {
            skipped.push({
                what: `product ${name} (${apps.map((a) => a.name).join(", ")})`,
                why:
                    `nothing to promote was found in ${source.path} of ${source.name} that every environment also has: ` +
                    "looked for a Chart.yaml appVersion, Kustomize images[].newTag or digest, image.tag-like values in values files, and container images in workload manifests" +
                    (remarks.length > 0 ? ` (${remarks.join("; ")})` : "") +
                    ". Add such a value (e.g. `images:` with newTag in each kustomization.yaml), or write its PromotionTemplate by hand",
            });
            continue;
        }
        applications.push(...apps);
        products.push({
            name,
            why: group.why,
            flow: flow.name,
            environments: envOrder,
            values,
            ...(versionSource ? { versionSource } : {}),
            sourceApplication: source.name,
            remarks,
        });
    }

    const usedEnvs = ordered(applications.map((a) => a.environment));
    const environments: ProposedEnvironment[] = usedEnvs.map((name) => ({
        name,
        kind: isProduction(name) ? "production" : "non-production",
        why: isProduction(name)
            ? "production: its name starts with prod, production, prd, live or canary"
            : "non-production: its name does not start with prod, production, prd, live or canary",
    }));
    const usedFlows = [...flows.values()].filter((f) => products.some((p) => p.flow === f.name));
    if (products.length > 0) {
        decide.push(
            "Which action each environment gets: none is written, so every promotion is a plain commit. Add a PromotionPolicy (action: pr) for production, or gates (preAction/postAction workflows).",
            "Whether the promoted values are the right ones: each template lists what was found in the trigger environment; add what must travel with a release, or remove environment-specific values.",
            "Who may promote and when: approvals, promotion windows and permissions are not proposed.",
        );
        if (environments.some((e) => e.kind === "production")) {
            decide.push("Which environments are production: the kind was read from the names only.");
        }
    }
    return { environments, applications, products, flows: usedFlows, guesses, skipped, decide };
}
