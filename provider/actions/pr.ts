import type { Repository } from "../git/repository";
import { serialized } from "../git/repository";
import type { ApplicationPlan } from "../promotion";
import { mergeFileChanges, planApplication } from "../promotion";
import { scmFor } from "../scm/registry";
import type { PullRequest, RepositoryRef, ScmClient } from "../scm/scm";
import type { ActionRequest, ActionResult, PromotionActionKind, PullRequestInfo } from "./action";
import { commitMessage, planAgainstTip } from "./gitPlan";

/** GitHub refuses descriptions longer than this. */
const maxBodyLength = 65_000;

/** The branch a release proposes for one environment: one per release, so every attempt finds its own. */
export function promotionBranch(req: Pick<ActionRequest, "product" | "environment" | "releaseId">): string {
    return `promotions/${req.product}/${req.environment}/${req.releaseId}`;
}

export function pullRequestTitle(req: ActionRequest): string {
    const version = req.candidate.version ? ` ${req.candidate.version}` : "";
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
        `Promotes **${req.product}**${req.candidate.version ? ` ${req.candidate.version}` : ""} to **${req.environment}**.`,
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
export const prAction: PromotionActionKind = {
    kind: "pr",
    async plan(req) {
        const { repo: _repo, ...plan } = await planAgainstTip(req);
        return plan;
    },
    run(req: ActionRequest): Promise<ActionResult> {
        return serialized(`pr:${req.repoURL}#${promotionBranch(req)}`, () => openOrAdopt(req));
    },
};

async function openOrAdopt(req: ActionRequest): Promise<ActionResult> {
    const { client, repo: hosted } = scmFor(req.repoURL, req.scm, req.credentials);
    const head = promotionBranch(req);
    const { repo, branch, tip, plans, pending } = await planAgainstTip(req);
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
        };
    }
    // A fresh commit on the current tip, force-pushed: the head branch belongs to this release alone, and a
    // leftover from an attempt that died before opening the pull request is simply replaced.
    const sha = await repo.commit(tip!, mergeFileChanges(plans), commitMessage(req));
    await repo.push(sha, head, { force: true });
    const pr = existing
        ? await client.reopenPullRequest(hosted, existing.number)
        : await open(req, {
              client,
              hosted,
              head,
              base: branch,
              body: pullRequestBody(req, plans, await repo.diff(tip!, sha)),
          });
    return {
        status: "Succeeded",
        branch,
        commitSha: sha,
        results: results(plans),
        attempts: 1,
        pullRequest: info(pr),
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
