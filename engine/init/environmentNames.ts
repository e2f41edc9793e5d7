/**
 * What a word says about an environment: the stage names GitOps repositories use, in the order releases
 * usually cross them. `promote init` reads environment names out of folder names, application names,
 * namespaces and branches with these, and orders its proposed flow by them.
 */

/** A stage word and its place in the usual order (lower comes first). */
const stages: readonly (readonly [rank: number, words: readonly string[]])[] = [
    [5, ["local", "sandbox"]],
    [10, ["dev", "develop", "development"]],
    [20, ["int", "integration", "ci"]],
    [30, ["test", "testing", "tst"]],
    [35, ["qa"]],
    [50, ["uat", "acceptance"]],
    [55, ["load", "perf", "performance"]],
    [60, ["stage", "staging", "stg", "preprod", "pre-prod", "preproduction", "pre-production"]],
    [70, ["canary"]],
    [80, ["prod", "production", "prd", "live"]],
];

const rankOfWord = new Map(stages.flatMap(([rank, words]) => words.map((w) => [w, rank] as const)));

const platformWords = new Set(["cluster", "k8s", "kube", "eks", "gke", "aks", "ocp", "ns", "namespace"]);

/** Folders whose children are environments whatever their names (`envs/eu-1`, `overlays/blue`). */
export const environmentContainers: ReadonlySet<string> = new Set([
    "env",
    "envs",
    "environment",
    "environments",
    "overlays",
    "stages",
]);

/** Where an environment sits in the usual order, by the first stage word in its name (`engineering-prod`). */
export function stageRank(name: string): number | undefined {
    const leading = leadingStageRank(name);
    if (leading !== undefined) {
        return leading;
    }
    const inside = environmentIn(name);
    return inside ? leadingStageRank(inside.environment) : undefined;
}

/** The rank of the stage word that starts the name (`prod-eu`), or undefined (`trioapp-prod`). */
export function leadingStageRank(name: string): number | undefined {
    const lower = name.toLowerCase();
    const whole = rankOfWord.get(lower);
    if (whole !== undefined) {
        return whole;
    }
    // `pre-prod-eu` before `prod-eu`: the longest stage word that starts the name.
    const words = lower.split(/[-_.]/);
    for (let n = words.length - 1; n >= 1; n--) {
        const r = rankOfWord.get(words.slice(0, n).join("-"));
        if (r !== undefined) {
            return r;
        }
    }
    return undefined;
}

/** A production environment: its name starts with a production word (prod, production, prd, live, canary). */
export function isProduction(name: string): boolean {
    const r = stageRank(name);
    return r !== undefined && r >= 70;
}

/**
 * The environment a name carries, as a suffix starting with a stage word: `trioapp-prod-asia` gives
 * `prod-asia`, `guestbook-dev` gives `dev`, `dev` gives `dev`. Undefined when no word of it is a stage word.
 */
export function environmentIn(
    name: string,
): { readonly environment: string; readonly rest: string } | undefined {
    const words = name.toLowerCase().split("-");
    for (let i = 0; i < words.length; i++) {
        if (
            rankOfWord.has(words[i]) ||
            (i + 1 < words.length && rankOfWord.has(`${words[i]}-${words[i + 1]}`))
        ) {
            // `dev-cluster`, `prod-eks`: what the environment runs on is not part of its name.
            let end = words.length;
            while (end > i + 1 && platformWords.has(words[end - 1])) {
                end--;
            }
            return { environment: words.slice(i, end).join("-"), rest: words.slice(0, i).join("-") };
        }
    }
    return undefined;
}

/** A name Kubernetes and our schema accept: lower case, digits and dashes. */
export function dnsName(raw: string): string {
    return raw
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/-+/g, "-")
        .replace(/^-|-$/g, "")
        .slice(0, 63);
}
