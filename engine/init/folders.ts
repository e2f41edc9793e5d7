import * as path from "path";
import type { FoundApplication, Note } from "./discover";
import {
    dnsName,
    environmentContainers,
    environmentIn,
    leadingStageRank,
    stageRank,
} from "./environmentNames";
import { singleDocument } from "./promotedValues";
import type { RepositorySnapshot } from "./repositorySnapshot";

const genericFolders = new Set([
    "apps",
    "applications",
    "app",
    "deploy",
    "deployments",
    "k8s",
    "kubernetes",
    "manifests",
    "charts",
    "helm",
    "kustomize",
    "gitops",
    "argocd",
    "argo-cd",
    "clusters",
    "demo-applications",
    ...environmentContainers,
]);
const baseFolders = new Set([
    "base",
    "bases",
    "common",
    "components",
    "variants",
    "mixins",
    "templates",
    "crds",
    "charts",
]);

export function repoName(snapshot: RepositorySnapshot): string {
    return dnsName(path.posix.basename(snapshot.url.replace(/\/+$/, "").replace(/\.git$/, ""))) || "app";
}

/** The environment an application's path holds: a child of `envs/`, a folder named `prod-eu`, or a suffix. */
export function environmentInPath(
    p: string,
): { environment: string; index: number; suffixOf?: string } | undefined {
    const segments = p.split("/");
    for (let i = segments.length - 1; i >= 0; i--) {
        const s = segments[i].toLowerCase();
        if (i > 0 && environmentContainers.has(segments[i - 1].toLowerCase()) && !baseFolders.has(s)) {
            return { environment: dnsName(s), index: i };
        }
        if (leadingStageRank(s) !== undefined) {
            return { environment: dnsName(s), index: i };
        }
        const inside = environmentIn(s);
        if (inside && inside.rest) {
            return { environment: dnsName(inside.environment), index: i, suffixOf: inside.rest };
        }
    }
    return undefined;
}

/** Applications made up from folders, for repositories without Argo CD manifests (Kustomize overlays, charts). */
export function applicationsFromFolders(snapshot: RepositorySnapshot, skipped: Note[]): FoundApplication[] {
    const marker = /(^|\/)(kustomization\.ya?ml|Kustomization|Chart\.yaml)$/;
    const dirs = [
        ...new Set(snapshot.paths.filter((p) => marker.test(p)).map((p) => path.posix.dirname(p))),
    ].sort();
    const found: FoundApplication[] = [];
    const chosen: string[] = [];
    for (const dir of dirs) {
        if (dir === "." || dir.split("/").some((s) => baseFolders.has(s.toLowerCase()))) {
            continue;
        }
        if (chosen.some((c) => dir.startsWith(`${c}/`))) {
            continue;
        }
        const env = environmentInPath(dir);
        if (!env) {
            const perEnvironment = snapshot.paths.filter(
                (p) =>
                    path.posix.dirname(p) === dir &&
                    /^values[-.][\w-]+\.ya?ml$/.test(path.posix.basename(p)) &&
                    stageRank(path.posix.basename(p).replace(/^values[-.]|\.ya?ml$/g, "")) !== undefined,
            );
            skipped.push({
                what: `folder ${dir}`,
                why:
                    "no environment in its path (a folder per environment such as envs/dev or overlays/prod)" +
                    (perEnvironment.length > 0
                        ? `; it holds values files per environment (${perEnvironment.map((p) => path.posix.basename(p)).join(", ")}) in one folder, while promotions copy values between the paths of applications: give each environment its own folder`
                        : ""),
            });
            continue;
        }
        chosen.push(dir);
        const segments = dir.split("/");
        const before = segments.slice(0, env.index).filter((s) => !genericFolders.has(s.toLowerCase()));
        const product = dnsName(env.suffixOf ?? before[before.length - 1] ?? repoName(snapshot));
        const kustomization = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .map((f) => snapshot.files.get(`${dir}/${f}`))
            .find((t) => t !== undefined);
        const namespace = kustomization ? singleDocument(kustomization)?.namespace : undefined;
        found.push({
            name: `${product}-${env.environment}`,
            namespace: "argocd",
            repoURL: snapshot.url,
            path: dir,
            targetRevision: snapshot.revision ?? "HEAD",
            ...(typeof namespace === "string"
                ? { destination: { server: "https://kubernetes.default.svc", namespace } }
                : {}),
            annotations: {},
            labels: {},
            origin: `folder ${dir} (no Argo CD Application deploys it in this repository)`,
            file: dir,
        });
    }
    return found;
}
