import type { EnvironmentRecord, ReleaseRecord } from "../record/releaseRecord";

/** What a release reports as it goes: its record, an environment's, or that it waits for its turn. */
export type ProgressEvent =
    | { readonly type: "release"; readonly release: ReleaseRecord }
    | { readonly type: "environment"; readonly releaseId: string; readonly environment: EnvironmentRecord }
    | { readonly type: "waiting"; readonly releaseId: string; readonly behind: readonly string[] };
