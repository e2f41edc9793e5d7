import type { GitTriggerSelector, ProductDefinition } from "./product";

/** The commit a trigger looks at. */
export interface TriggerCommit {
    readonly message: string;
    /** The branch the commit landed on. */
    readonly branch: string;
    readonly sha: string;
}

/** `*` matches any run of characters; everything else is literal; the whole value must match. */
export function globMatches(pattern: string, value: string): boolean {
    const re = new RegExp(
        `^${pattern
            .split("*")
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join("[\\s\\S]*")}$`,
    );
    return re.test(value);
}

function selectorMatches(selector: GitTriggerSelector, commit: TriggerCommit): boolean {
    // gitRevision matches the branch name or the commit SHA.
    const subjects = selector.key === "commitMessage" ? [commit.message.trim()] : [commit.branch, commit.sha];
    const hit = selector.values.some((v) => subjects.some((s) => globMatches(v, s)));
    return selector.operator === "In" ? hit : !hit;
}

/**
 * The first of the product's flows whose trigger selectors all match the commit (values in one selector OR,
 * several selectors AND; a flow without selectors matches every commit), or undefined.
 */
export function matchFlow(product: ProductDefinition, commit: TriggerCommit): string | undefined {
    return product.promotionFlows.find((f) =>
        (f.gitTriggerSelectors ?? []).every((s) => selectorMatches(s, commit)),
    )?.name;
}
