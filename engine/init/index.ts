import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildCatalog } from "../../components/catalog";
import { loadDefinitions } from "../../components/config";
import { formatIssue } from "../../components/issues";
import { InvalidInputError } from "../../model/errors";
import type { GitCredentials } from "../../provider/git/git";
import { discover } from "./discover";
import type { Proposal } from "./propose";
import { propose } from "./propose";
import type { WrittenFile } from "./render";
import { renderProposal } from "./render";
import { readRepository } from "./repositorySnapshot";

export type { Proposal } from "./propose";
export type { WrittenFile } from "./render";

export interface InitOptions {
    /** `--repo`: a Git URL (cloned with git) or a directory. */
    readonly repo: string;
    /** `--branch`: the branch to read. */
    readonly branch?: string;
    /** Tokens for http(s) remotes, by host (`*`: any). */
    readonly credentials?: GitCredentials;
}

export interface InitResult {
    readonly proposal: Proposal;
    readonly files: readonly WrittenFile[];
    /** The repository and revision read, as the files' headers name it. */
    readonly source: string;
    /** Files and folders read, for the summary. */
    readonly scanned: { readonly files: number; readonly applications: number; readonly stages: number };
}

/** What `init` looks for, named when it finds none of it. */
export const lookedFor =
    "Argo CD Applications and ApplicationSets (list and git generators) in *.yaml files, Kargo Stages, and " +
    "Kustomize (kustomization.yaml) or Helm (Chart.yaml) folders named after environments (envs/dev, overlays/prod, app-qa)";

/**
 * Loads the written files as `promote validate` would. A proposal that does not validate is never written:
 * the problems are named, so what init got wrong is said instead of left for the user to find.
 */
function checkValid(files: readonly WrittenFile[], dir: string, source: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of files) {
        fs.writeFileSync(path.join(dir, f.name), f.text);
    }
    const { definitions, issues: loadIssues } = loadDefinitions(dir);
    const issues = [...loadIssues, ...buildCatalog(definitions).issues];
    if (issues.length > 0) {
        throw new InvalidInputError(
            [
                `the definitions proposed for ${source} do not validate, so nothing was written:`,
                ...issues.map((i) => `  - ${formatIssue(i).replace(`${dir}/`, "")}`),
                "Write the definitions for what is named above by hand (README, YAML), or annotate those Applications (codefresh.io/product, promotions/environment).",
            ].join("\n"),
            { path: "--repo" },
        );
    }
}

/**
 * Reads a GitOps repository and proposes definitions for it: environments, applications, products with
 * their templates, flows. Throws an InvalidInputError (exit 2) when the repository cannot be read, is empty,
 * or yields no product, saying what it looked for and what it left out.
 */
export async function initDefinitions(opts: InitOptions): Promise<InitResult> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "promote-init-"));
    try {
        const snapshot = await readRepository({
            repo: opts.repo,
            ...(opts.branch ? { branch: opts.branch } : {}),
            ...(opts.credentials ? { credentials: opts.credentials } : {}),
            scratchDir: scratch,
        });
        const source = `${snapshot.url}${snapshot.revision ? ` at ${snapshot.revision}` : ""}${snapshot.commit ? ` (${snapshot.commit.slice(0, 12)})` : ""}`;
        if (snapshot.paths.length === 0) {
            throw new InvalidInputError(
                `the repository ${JSON.stringify(snapshot.given)} is empty${snapshot.revision ? ` at ${snapshot.revision}` : " (no commit)"}: nothing to read. init looks for ${lookedFor}`,
                { path: "--repo" },
            );
        }
        const discovery = discover(snapshot);
        const proposal = await propose({ snapshot, discovery });
        if (proposal.products.length === 0) {
            const left = proposal.skipped.map((s) => `  - ${s.what}: ${s.why}`);
            throw new InvalidInputError(
                [
                    `no product to promote was found in ${source} (${snapshot.paths.length} files read).`,
                    `init looks for ${lookedFor}, and needs one application in two environments or more.`,
                    ...(left.length > 0
                        ? ["What it found and could not use:", ...left]
                        : ["It found none of these."]),
                    "Annotate your Applications (codefresh.io/product, promotions/environment), or write the definitions by hand (README, YAML).",
                ].join("\n"),
                { path: "--repo" },
            );
        }
        const files = renderProposal(proposal, { source });
        checkValid(files, path.join(scratch, "proposal"), source);
        return {
            proposal,
            files,
            source,
            scanned: {
                files: snapshot.paths.length,
                applications: discovery.applications.length,
                stages: discovery.stages.length,
            },
        };
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}
