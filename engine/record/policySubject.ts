import { formatPath } from "../../model/jsonPath";
import type { ReleaseCandidate } from "../../provider/promotion";
import type { PlannedEnvironment } from "./releaseRecord";
import type { ResourceGroup } from "./resourceGroup";

/**
 * What a policy pack sees of one environment's promotion: the `subject` input of its EnvironmentPromotion
 * (only in the preview that evaluates the packs; a release's update never carries it, so its diff and state
 * are as without packs).
 */
export interface PolicySubject {
    readonly product: string;
    readonly flow: string;
    readonly environment: string;
    readonly kind: "production" | "non-production";
    readonly tags: readonly string[];
    readonly version?: string;
    readonly sourceCommit: string;
    readonly applications: readonly string[];
    /** Every value the promotion writes: file (relative to each application's path), JSONPath and value. */
    readonly values: readonly { readonly file: string; readonly path: string; readonly value: unknown }[];
}

/** The subject of one resource group of an environment. */
export function policySubject(
    o: { readonly product: string; readonly flow: string; readonly candidate: ReleaseCandidate },
    env: PlannedEnvironment,
    group: ResourceGroup,
): PolicySubject {
    return {
        product: o.product,
        flow: o.flow,
        environment: env.name,
        kind: env.kind ?? "non-production",
        tags: env.tags ?? [],
        ...(o.candidate.version ? { version: o.candidate.version } : {}),
        sourceCommit: o.candidate.sourceCommit,
        applications: group.applications.map((a) => a.name),
        values: o.candidate.files.flatMap((f) =>
            f.entries
                ? f.entries.map((e) => ({ file: f.file, path: formatPath(e.path), value: e.value }))
                : [
                      {
                          file: f.file,
                          path: "$",
                          value: Buffer.from(f.content ?? "", "base64").toString("utf8"),
                      },
                  ],
        ),
    };
}
