import type { Repository } from "../git/repository";
import { serialized } from "../git/repository";
import type { ApplicationPlan } from "../promotion";
import { mergeFileChanges, planApplication } from "../promotion";
import type * as ScmRegistryModule from "../scm/registry";
import type { PullRequest, RepositoryRef, ScmClient } from "../scm/scm";
import { repositoryURLParts } from "../scm/scm";
import type * as PulumiModule from "@pulumi/pulumi";
import { InvalidInputError } from "../../model/errors";
import type * as PullRequestMergeModule from "../dynamic/pullRequestMerge";
import type {
    ActionRequest,
    ActionResources,
    ActionResourcesContext,
    ActionResult,
    PlannedTarget,
    PromotionAction,
    PullRequestInfo,
} from "./action";
import { branchTip, commitMessage, oneLine, planAgainstTip, planForWrite } from "./gitPlan";

/**
 * The code hosts' clients, loaded when a pull request is opened: they (Octokit among them) took about a tenth
 * of a second of every dynamic-provider process's start, before its first diff, and most releases only commit.
 */
const scmFor: typeof ScmRegistryModule.scmFor = (...args) =>
    (require("../scm/registry") as typeof ScmRegistryModule).scmFor(...args);

/** GitHub refuses descriptions longer than this. */
const maxBodyLength = 65_000;

/** The branch a release proposes for one environment: one per release, so every attempt finds its own. */
export function promotionBranch(req: Pick<ActionRequest, "product" | "environment" | "releaseId">): string {
    return `promotions/${req.product}/${req.environment}/${req.releaseId}`;
}

export function pullRequestTitle(req: ActionRequest): string {
    const version = req.candidate.version ? ` ${oneLine(req.candidate.version)}` : "";
    return `Promote ${req.product}${version} to ${req.environment}`;
}

const show = (v: unknown) => (v === null || v === undefined ? "_(none)_" : `\`${JSON.stringify(v)}\``);

/** The description: what moves where (a table of values), each file's diff, and the release it belongs to. */
export function pullRequestBody(req: ActionRequest, plans: readonly ApplicationPlan[], diff: string): string {
    const rows = plans.flatMap((p) =>
        p.changes.map(
            (c) => `| ${p.application} | ${c.file} | \`${c.path}\` | ${show(c.from)} | ${show(c.to)} |`,
        ),
    );
    const head = [
        `Promotes **${req.product}**${req.candidate.version ? ` ${oneLine(req.candidate.version)}` : ""} to **${req.environment}**.`,
        "",
        `- Release: \`${req.releaseId}\` (flow \`${req.flow}\`)`,
        `- Source: \`${req.candidate.sourceApplication}\` at \`${req.candidate.sourceCommit.slice(0, 12)}\``,
        "",
        "| Application | File | Path | From | To |",
        "| --- | --- | --- | --- | --- |",
        ...rows,
        "",
    ].join("\n");
    const tail = [
        "",
        "Merging this pull request lets the release continue; closing it without merge fails the environment.",
        "",
        `<!-- promotions: release=${req.releaseId} environment=${req.environment} -->`,
    ].join("\n");
    const files = diff
        .split(/^(?=diff --git )/m)
        .filter((d) => d.trim() !== "")
        .map((d) => {
            const name = /^diff --git a\/(\S+)/.exec(d)?.[1] ?? "file";
            return `#### \`${name}\`\n\n\`\`\`diff\n${d.trimEnd()}\n\`\`\`\n`;
        });
    let body = head + files.join("\n") + tail;
    if (body.length > maxBodyLength) {
        body = `${head}\n_The diff is too long to show here: see the Files tab._\n${tail}`;
    }
    return body;
}

function info(pr: PullRequest): PullRequestInfo {
    return { url: pr.url, number: pr.number, state: pr.state, head: pr.headBranch };
}

/**
 * `pr`: the change goes in as a pull request against the applications' branch. Its head is a branch of its own
 * (`promotions/<product>/<environment>/<release>`) holding one commit with the same message and trailers as
 * `commit` makes. Every step can be repeated: a pull request already open for that branch is adopted, a
 * merged one is reported with its merge commit, and one closed without merge is reopened (a retry asks for
 * review again) rather than a second one opened. Waiting for the merge is not the action's job: the engine
 * waits in a resource of its own, where the release can show it as Suspended.
 */
export const prAction = {
    kind: "pr",
    async plan(req) {
        const { repo: _repo, ...plan } = await planAgainstTip(req);
        return plan;
    },
    run(req: ActionRequest): Promise<ActionResult> {
        return serialized(`pr:${req.repoURL}#${promotionBranch(req)}`, () => openOrAdopt(req));
    },
    validate: checkPullRequestTargets,
    resources: mergeWait,
} satisfies PromotionAction;

/**
 * A `pr` environment's applications must live on a code host with an API (a file:// repository cannot take a
 * pull request), and those sharing a repository must share a branch: each environment of a release gets one
 * head branch per repository.
 */
function checkPullRequestTargets(target: PlannedTarget): void {
    const env = target.environment;
    for (const a of target.applications) {
        // Which host serves it (the hosts configuration) is decided where the pull request is opened.
        if (!repositoryURLParts(a.repoURL)) {
            throw new InvalidInputError(
                `environment "${env}": action "pr" needs a repository on a code host, but application "${a.name}" has repoURL ${a.repoURL} (use https://host/owner/repo, or action "commit" for this environment)`,
                { entity: `Application "${a.name}"`, path: "spec.source.repoURL" },
            );
        }
    }
    for (const a of target.applications) {
        const other = target.applications.find(
            (b) => b.repoURL === a.repoURL && b.targetRevision !== a.targetRevision,
        );
        if (other) {
            throw new InvalidInputError(
                `environment "${env}": action "pr" opens one pull request per repository, but applications "${a.name}" and "${other.name}" target different branches of ${a.repoURL} (${a.targetRevision}, ${other.targetRevision}): give them one targetRevision`,
                { entity: `Application "${a.name}"`, path: "spec.source.targetRevision" },
            );
        }
    }
}

/**
 * The wait for the pull request's merge, in a resource of its own (the environment is Suspended while it
 * waits); the environment's commit is then the merge commit, and only a merge completes it.
 */
function mergeWait(ctx: ActionResourcesContext): ActionResources {
    // Loaded here, not at the top: the dynamic-provider process loads this module too, and never needs it.
    const pulumi = require("@pulumi/pulumi") as typeof PulumiModule;
    const { PullRequestMerge } = require("../dynamic/pullRequestMerge") as typeof PullRequestMergeModule;
    const wait = new pulumi.ResourceHook(`merge-${ctx.groupName}`, async (args) => {
        const i = args.newInputs as { number?: number } | undefined;
        await ctx.awaitPullRequest(i?.number ?? 0);
    });
    const merge = new PullRequestMerge(
        `${ctx.groupName}.merge`,
        {
            releaseId: ctx.releaseId,
            environment: ctx.environment,
            repoURL: ctx.repoURL,
            number: pulumi
                .all([ctx.promotion.releaseId, ctx.promotion.pullRequest])
                .apply(([id, pr]) => (id === ctx.releaseId && pr ? pr.number : 0)),
        },
        { dependsOn: [ctx.promotion], hooks: { beforeCreate: [wait], beforeUpdate: [wait] } },
    );
    return {
        resource: merge,
        commitSha: merge.mergeCommitSha.apply((c) => c ?? ""),
        completedBy: pulumi
            .all([merge.releaseId, merge.state])
            .apply(([id, state]) => (state === "merged" ? id : "")),
    };
}

async function openOrAdopt(req: ActionRequest): Promise<ActionResult> {
    const { client, repo: hosted } = scmFor(req.repoURL, req.scm, req.credentials);
    const head = promotionBranch(req);
    const { repo, branch, tip } = await branchTip(req);
    const { plans, replanned } = await planForWrite(repo, tip, req);
    const pending = plans.some((p) => p.changes.length > 0);
    const results = (ps: readonly ApplicationPlan[]) =>
        ps.map((p) => ({ name: p.application, changes: p.changes }));
    const existing = await client.findPullRequest(hosted, head);

    if (existing?.state === "merged") {
        const merge = existing.mergeCommitSha;
        const landed = merge ? await changesOf(repo, merge, req) : plans;
        return {
            status: "Succeeded",
            branch,
            ...(merge ? { commitSha: merge } : {}),
            results: results(landed),
            attempts: 0,
            pullRequest: info(existing),
            ...(replanned ? { replanned } : {}),
        };
    }
    if (existing?.state === "open") {
        return {
            status: "Succeeded",
            branch,
            commitSha: existing.headSha,
            results: results(plans),
            attempts: 0,
            pullRequest: info(existing),
            ...(replanned ? { replanned } : {}),
        };
    }
    if (!pending) {
        // Nothing differs (whatever became of an earlier pull request, the values are there now).
        return {
            status: "Skipped",
            branch,
            results: results(plans),
            attempts: 0,
            ...(existing ? { pullRequest: info(existing) } : {}),
            ...(replanned ? { replanned } : {}),
        };
    }
    // A fresh commit on the current tip, force-pushed: the head branch belongs to this release alone, and a
    // leftover from an attempt that died before opening the pull request is simply replaced.
    const sha = await repo.commit(tip, mergeFileChanges(plans), commitMessage(req));
    await repo.push(sha, head, { force: true });
    const pr = existing
        ? await client.reopenPullRequest(hosted, existing.number)
        : await open(req, {
              client,
              hosted,
              head,
              base: branch,
              body: pullRequestBody(req, plans, await repo.diff(tip, sha)),
          });
    return {
        status: "Succeeded",
        branch,
        commitSha: sha,
        results: results(plans),
        attempts: 1,
        pullRequest: info(pr),
        ...(replanned ? { replanned } : {}),
    };
}

/** Opens the pull request; if another attempt of this release opened it meanwhile, adopts that one. */
async function open(
    req: ActionRequest,
    to: { client: ScmClient; hosted: RepositoryRef; head: string; base: string; body: string },
): Promise<PullRequest> {
    try {
        return await to.client.openPullRequest(to.hosted, {
            head: to.head,
            base: to.base,
            title: pullRequestTitle(req),
            body: to.body,
        });
    } catch (e) {
        const raced = await to.client.findPullRequest(to.hosted, to.head);
        if (!raced) {
            throw e;
        }
        return raced;
    }
}

/** What a merged pull request changed: the candidate planned against its merge commit's first parent. */
async function changesOf(repo: Repository, merge: string, req: ActionRequest): Promise<ApplicationPlan[]> {
    if (!(await repo.resolveCommit(merge))) {
        await repo.fetch();
    }
    const parent = await repo.resolveCommit(`${merge}^`);
    if (!parent) {
        return [];
    }
    return Promise.all(req.applications.map((a) => planApplication(repo, parent, a, req.candidate)));
}
