import type { ReleaseStatus } from "../../model/status";
import { messageOf } from "../../model/errors";
import type { GitCredentials } from "../../provider/git/git";
import type { CommitStatus, ScmConfig } from "../../provider/scm/scm";
import type { ReleaseRecord } from "../record/releaseRecord";

const states: Record<ReleaseStatus, CommitStatus["state"]> = {
    Queued: "pending",
    Running: "pending",
    Suspended: "pending",
    Terminating: "pending",
    Succeeded: "success",
    Failed: "failure",
    Terminated: "error",
};

/**
 * Reports the release on its source commit (`promotions/<product>`), when the source lives on a code host.
 * A status that cannot be set is returned as a warning for the record, never a reason to fail the release.
 */
export async function reportCommitStatus(
    r: ReleaseRecord,
    scm: ScmConfig,
    credentials: GitCredentials,
): Promise<string | undefined> {
    const repoURL = r.candidate.sourceRepoURL;
    // Loaded here: the code hosts' clients are not needed by a release whose source is on none of them.
    const { hostedRepository, scmFor } = await import("../../provider/scm/registry");
    if (!hostedRepository(repoURL, scm)) {
        return undefined;
    }
    const waiting = r.environments.filter((e) => e.status === "Suspended").map((e) => e.name);
    try {
        const { client, repo } = scmFor(repoURL, scm, credentials);
        await client.setCommitStatus(repo, r.sourceCommit, {
            state: states[r.status],
            context: `promotions/${r.product}`,
            description:
                `release ${r.id} ${r.status}` +
                (waiting.length > 0 ? `: waiting for pull requests in ${waiting.join(", ")}` : ""),
        });
        return undefined;
    } catch (e) {
        return `commit status on ${r.sourceCommit.slice(0, 12)} not set: ${messageOf(e)}`;
    }
}
