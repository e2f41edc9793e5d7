/**
 * The small JSON-over-HTTP client the REST hosts without an SDK of their own share (GitLab, Bitbucket, Azure
 * DevOps): one place that sends the token to its own API root only, bounds every request in time, and turns a
 * refusal into an error naming the host, what was asked, the answer and the fix.
 */
import { EnvironmentError } from "../../model/errors";

/** An API call that failed: the host, what was asked, its status and answer, and what to check. */
export class ScmApiError extends EnvironmentError {
    constructor(
        readonly hostName: string,
        readonly operation: string,
        readonly status: number | undefined,
        answer: string,
        hint: string,
    ) {
        super(`${hostName} ${operation}: ${status ?? "no answer"} ${answer}${hint ? ` (${hint})` : ""}`);
    }
}

export interface RestAnswer<T> {
    readonly status: number;
    readonly body: T;
    readonly headers: Headers;
}

export interface RestClientOptions {
    /** Named in errors, e.g. `GitLab`. */
    readonly hostName: string;
    readonly apiUrl: string;
    /** The headers that carry the token (empty: anonymous). */
    readonly auth: Readonly<Record<string, string>>;
    /** The fix for a status, e.g. 401: "the token was refused: …". */
    readonly hints: Readonly<Record<number, string>>;
    /** How long one request may take (default 30 s). */
    readonly timeoutMs?: number;
}

/** The message of an error answer, whatever shape the host gives it. */
function answerText(body: unknown, fallback: string): string {
    if (typeof body === "string") {
        return body.slice(0, 300);
    }
    const b = body as {
        message?: unknown;
        error?: unknown;
        errors?: unknown;
        value?: { Message?: unknown };
    } | null;
    const parts = [b?.message, b?.error, b?.errors, b?.value?.Message]
        .filter((x) => x !== undefined && x !== null)
        .map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
    return (parts.join(": ") || fallback).slice(0, 300);
}

export class RestClient {
    private readonly root: string;

    constructor(private readonly opts: RestClientOptions) {
        this.root = opts.apiUrl.replace(/\/+$/, "");
    }

    /**
     * One request to `path` under the API root. Statuses in `accept` come back as answers; any other is a
     * {@link ScmApiError} with the hint for its status.
     */
    async call<T>(
        operation: string,
        method: string,
        path: string,
        opts: { readonly body?: unknown; readonly accept?: readonly number[] } = {},
    ): Promise<RestAnswer<T>> {
        let res: Response;
        try {
            res = await fetch(`${this.root}${path}`, {
                method,
                headers: {
                    accept: "application/json",
                    "user-agent": "pulumi-promotions",
                    ...this.opts.auth,
                    ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
                },
                ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
                signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
                redirect: "error",
            });
        } catch (e) {
            throw new ScmApiError(
                this.opts.hostName,
                operation,
                undefined,
                e instanceof Error ? e.message : String(e),
                `is ${this.root} the API URL of the hosts entry, and reachable?`,
            );
        }
        const text = await res.text();
        let body: unknown = text;
        try {
            body = text ? JSON.parse(text) : undefined;
        } catch {
            // Kept as text: an HTML error page, a plain message.
        }
        if (res.ok || opts.accept?.includes(res.status)) {
            return { status: res.status, body: body as T, headers: res.headers };
        }
        throw new ScmApiError(
            this.opts.hostName,
            operation,
            res.status,
            answerText(body, res.statusText),
            this.opts.hints[res.status] ?? "",
        );
    }
}
