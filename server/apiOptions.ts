import type { Catalog } from "../components/catalog";
import type { PromoteEngine } from "../engine/promoteEngine";
import type { ReleaseRecord } from "../engine/record/releaseRecord";
import type { ArgoCdConfig } from "../provider/health/argoCd";
import type { GitCredentials } from "../provider/git/git";
import type { Identity } from "./auth/identify";
import type { Classifier } from "./errors";
import type { Identify } from "./permissions";

/**
 * What the JSON API (server/api.ts) is made with: the engine it drives and its settings. Apart from api.ts so
 * that the route files (server/routes/) read the options without importing the file that assembles them.
 */

/** The engine methods the API calls (the facade; tests may pass a hand-written fake). */
export type ServerEngine = Pick<
    PromoteEngine,
    "preview" | "release" | "retry" | "terminate" | "releases" | "find"
> &
    Partial<Pick<PromoteEngine, "holds" | "approve" | "reject" | "resume">>;

export interface ApiOptions {
    readonly catalog: Catalog;
    readonly engine: ServerEngine;
    /** The token GET /api/v1/session gives, required as X-CSRF-Token on mutating requests with cookies. */
    readonly csrfToken: string;
    /** The CLI's error classifier (cli/errors.ts classifyError), so answers carry the CLI's messages. */
    readonly classify?: Classifier;
    /** Where to read the GitOps repositories (clone cache and tokens), for GET /products/{product}/environments. */
    readonly git?: { readonly cacheDir: string; readonly credentials?: GitCredentials };
    /** Argo CD, for health and sync in GET /products/{product}/environments. */
    readonly argocd?: ArgoCdConfig;
    /** How often the records are polled for the event stream (ms; default 3000). */
    readonly eventPollMs?: number;
    /** One line per release that failed after it was answered, and per failed poll. */
    readonly log?: (line: string) => void;
    readonly version?: string;
    /**
     * Who is calling (the identity middleware's hook; tests set it). Absent or undefined: the request's
     * `subject` variable, else the local loopback user. The catalog's PromotionPermission rules decide.
     */
    readonly identify?: Identify;
    /** Who sends each request (server/auth); default: a loopback server without identity sources. */
    readonly identity?: Identity;
    /** Told after each approval or rejection it recorded (`serve` then resumes what is ready). */
    readonly onDecision?: (record: ReleaseRecord) => void;
    /**
     * The path prefix the server is reached under (server/basePath.ts; "" or absent: the root). The routes stay
     * at the root (the server strips the prefix); the console's page and the API's description name it.
     */
    readonly basePath?: string;
    /** GET /api/v1/metrics: Prometheus' text format (server/metrics.ts); absent, that route answers 404. */
    readonly metrics?: { scrape(): Promise<{ contentType: string; body: string }> };
}
