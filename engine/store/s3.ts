/**
 * The coordination store in the S3 bucket of a Pulumi DIY `s3://` backend: one object a key under
 * `<url path>/.promotions/`, compare-and-set by conditional writes (`If-None-Match: *`, `If-Match: <ETag>`),
 * which AWS S3 and current S3-compatible servers (versitygw, MinIO, R2…) honour atomically on PUT.
 *
 * Three choices keep the interface's promises on plain S3:
 *  - Each object holds an envelope `{"promotions":"kv/1","write":<uuid>,"value":…}`. Its ETag (the version) is
 *    a hash of the bytes, so the same value written twice would get the same ETag and a writer holding the old
 *    version would win a compare-and-set it lost (A-B-A); the write's uuid makes every version new. It also
 *    tells a writer whose request was retried after a lost answer whether its own write landed.
 *  - A delete is a conditional PUT of a tombstone, `{"deleted":<uuid>}`, then a DELETE of that tombstone (by
 *    its ETag). The conditional PUT is what decides, atomically, who deleted which version (exactly one
 *    caller gets `true`); a DELETE alone answers 204 whether or not the object was there, and servers differ
 *    in whether, and how atomically, they honour `If-Match` on DELETE. Readers take a tombstone for an absent
 *    key, so one left by a crash between the two steps changes nothing. A tombstone is shorter than any
 *    document, so a listing (which gives sizes, not contents) leaves it out.
 *  - Requests are signed with aws4fetch (SigV4, no dependencies) and sent with Node's own fetch; it is
 *    loaded on first use, so the CLI's start does not pay for it.
 */
import { createHash, randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EnvironmentError, InvalidInputError } from "../../model/errors";
import type { Condition, KvStore, Versioned } from "./kv";
import { checkKey } from "./kv";

/** Where the store's objects are, from the backend URL and the environment. */
export interface S3Target {
    readonly bucket: string;
    /** Key prefix of the store's objects in the bucket: `<url path>/.promotions/`. */
    readonly root: string;
    readonly region: string;
    /** The URL of the bucket itself (path style: `<endpoint>/<bucket>`, else `https://<bucket>.<host>`). */
    readonly bucketUrl: string;
    /** The endpoint, as errors name it. */
    readonly endpoint: string;
    /** `x-amz-server-side-encryption*` headers for writes (the URL's `ssetype` and `kmskeyid`). */
    readonly writeHeaders: Readonly<Record<string, string>>;
}

export interface S3Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

/** The environment variables the store reads (the AWS SDK's standard names). */
export type S3Env = Readonly<Record<string, string | undefined>>;

/**
 * Query parameters Pulumi's `s3://` backend (gocloud.dev's s3blob, AWS SDK v2, and Pulumi's translation of the
 * SDK v1 names) accepts that change nothing here: checksums, rate limits, the SDK version.
 */
const ignoredParams = new Set([
    "awssdk",
    "request_checksum_calculation",
    "response_checksum_validation",
    "rate_limiter_capacity",
    "hostname_immutable",
]);
const knownParams = new Set([
    ...ignoredParams,
    "region",
    "endpoint",
    "use_path_style",
    "s3ForcePathStyle",
    "disable_https",
    "disableSSL",
    "profile",
    "dualstack",
    "fips",
    "accelerate",
    "ssetype",
    "kmskeyid",
]);

function flag(url: URL, ...names: string[]): boolean {
    return names.some((n) => {
        const v = url.searchParams.get(n);
        return v !== null && /^(1|t|true)$/i.test(v);
    });
}

/**
 * Reads a Pulumi DIY backend URL, `s3://bucket[/prefix][?region=…&endpoint=…&s3ForcePathStyle=true…]`, the way
 * Pulumi reads it (its translation of the SDK v1 names, then gocloud.dev's s3blob on the AWS SDK v2):
 *  - `disableSSL`/`disable_https` make every request `http://` (the SDK rewrites the scheme, an explicit
 *    `https://` endpoint's too, unless `hostname_immutable`); a scheme-less `endpoint` is otherwise `https://`;
 *  - path style with `use_path_style` or `s3ForcePathStyle`, else the bucket is a host name;
 *  - the region from the URL, else AWS_REGION, AWS_DEFAULT_REGION, else us-east-1;
 *  - without an `endpoint`, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS's own.
 */
export function parseS3BackendUrl(backendUrl: string, env: S3Env = {}): S3Target {
    let url: URL;
    try {
        url = new URL(backendUrl);
    } catch {
        throw new InvalidInputError(
            `the state backend "${backendUrl}" is not a URL: write s3://<bucket>[/<prefix>]`,
        );
    }
    if (url.protocol !== "s3:" || url.hostname === "") {
        throw new InvalidInputError(
            `the state backend "${backendUrl}" is not an S3 backend URL: write s3://<bucket>[/<prefix>][?region=…]`,
        );
    }
    if (url.searchParams.has("role")) {
        throw new InvalidInputError(
            `the state backend s3://${url.hostname}: the coordination store does not assume "?role=" yet; drop it ` +
                `and give the role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN ` +
                `(e.g. from 'aws configure export-credentials')`,
        );
    }
    if (url.searchParams.has("anonymous")) {
        throw new InvalidInputError(
            `the state backend s3://${url.hostname}: the coordination store writes, so it cannot be anonymous; ` +
                `drop "?anonymous=" and give credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
        );
    }
    const unknown = [...url.searchParams.keys()].filter((k) => !knownParams.has(k));
    if (unknown.length > 0) {
        throw new InvalidInputError(
            `the state backend s3://${url.hostname}: unknown query parameter ${unknown.map((k) => `"${k}"`).join(", ")}; ` +
                `known: ${[...knownParams].sort().join(", ")}`,
        );
    }
    const bucket = url.hostname;
    const subdir = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
    const root = `${subdir === "" ? "" : `${subdir}/`}.promotions/`;
    const region = url.searchParams.get("region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1";
    const insecure = flag(url, "disable_https", "disableSSL") && !flag(url, "hostname_immutable");
    const pathStyle = flag(url, "use_path_style", "s3ForcePathStyle");
    const scheme = insecure ? "http" : "https";
    let endpoint = url.searchParams.get("endpoint") || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || "";
    if (endpoint !== "" && !endpoint.includes("://")) {
        endpoint = `${flag(url, "disableSSL") ? "http" : "https"}://${endpoint}`;
    }
    let bucketUrl: string;
    if (endpoint !== "") {
        let e: URL;
        try {
            e = new URL(endpoint);
        } catch {
            throw new InvalidInputError(
                `the state backend s3://${bucket}: its endpoint "${endpoint}" is not a URL: write host:port or ` +
                    `http(s)://host:port`,
            );
        }
        if (insecure) {
            e.protocol = "http:";
        }
        const base = e.pathname.replace(/\/+$/, "");
        bucketUrl = pathStyle
            ? `${e.protocol}//${e.host}${base}/${bucket}`
            : `${e.protocol}//${bucket}.${e.host}${base}`;
        endpoint = `${e.protocol}//${e.host}${base}`;
    } else {
        const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
        const dual = flag(url, "dualstack") ? "dualstack." : "";
        const host = flag(url, "accelerate")
            ? `s3-accelerate.${dual}${suffix}`
            : `${flag(url, "fips") ? "s3-fips" : "s3"}.${dual}${region}.${suffix}`;
        endpoint = `${scheme}://${host}`;
        bucketUrl = pathStyle ? `${endpoint}/${bucket}` : `${scheme}://${bucket}.${host}`;
    }
    const writeHeaders: Record<string, string> = {};
    const sse = url.searchParams.get("ssetype");
    if (sse) {
        writeHeaders["x-amz-server-side-encryption"] = sse;
    }
    const kms = url.searchParams.get("kmskeyid");
    if (kms) {
        writeHeaders["x-amz-server-side-encryption-aws-kms-key-id"] = kms;
    }
    return { bucket, root, region, bucketUrl, endpoint, writeHeaders };
}

/**
 * The standard AWS credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the static
 * keys of the profile (the URL's `profile`, else AWS_PROFILE, else `default`) in the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials). Undefined when neither has them.
 */
export function s3Credentials(env: S3Env, profile?: string): S3Credentials | undefined {
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
        return {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        };
    }
    const file =
        env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), ".aws", "credentials");
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
    const wanted = profile || env.AWS_PROFILE || "default";
    const section: Record<string, string> = {};
    let current = "";
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.replace(/[#;].*$/, "").trim();
        const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
        if (header) {
            current = header[1];
        } else if (current === wanted) {
            const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
            if (kv) {
                section[kv[1].toLowerCase()] = kv[2];
            }
        }
    }
    if (!section.aws_access_key_id || !section.aws_secret_access_key) {
        return undefined;
    }
    return {
        accessKeyId: section.aws_access_key_id,
        secretAccessKey: section.aws_secret_access_key,
        ...(section.aws_session_token ? { sessionToken: section.aws_session_token } : {}),
    };
}

/** What the store writes around a value (see the file's comment). */
interface Envelope {
    readonly promotions: "kv/1";
    readonly write: string;
    readonly value: unknown;
}

/** What a delete leaves until its DELETE lands. */
interface Tombstone {
    readonly deleted: string;
}

const tombstoneBytes = JSON.stringify({ deleted: randomUUID() } satisfies Tombstone).length;
/** The shortest document (a one-digit value); every tombstone is shorter. */
const documentBytes = JSON.stringify({
    promotions: "kv/1",
    write: randomUUID(),
    value: 0,
} satisfies Envelope).length;

/** What a key holds, as a reader sees it. */
type Held =
    | { readonly kind: "absent" }
    | { readonly kind: "tombstone"; readonly etag: string; readonly deleted: string }
    | { readonly kind: "document"; readonly etag: string; readonly envelope: Envelope };

interface S3Answer {
    readonly status: number;
    readonly etag: string | undefined;
    readonly body: string;
    /** True when the request was sent more than once (an earlier try's answer was lost). */
    readonly retried: boolean;
}

type Signer = { sign(input: string, init: RequestInit): Promise<Request> };

/**
 * Tries per request: network errors, 5xx, 429, and the 409s that say a conflicting write was in flight, are tried
 * again (a conditional PUT is re-evaluated, so that is safe).
 */
const attempts = 5;
/** Bounded loops where another writer moved a key on between two of our requests. */
const raceRounds = 20;
const requestTimeoutMs = 30_000;
const transientConflicts = new Set(["ConditionalRequestConflict", "OperationAborted"]);
const emptySha256 = createHash("sha256").update("").digest("hex");

class S3Store implements KvStore {
    readonly where: string;
    private signer: Promise<Signer> | undefined;
    private closed = false;

    constructor(
        private readonly target: S3Target,
        private readonly credentials: () => S3Credentials,
    ) {
        this.where = `s3://${target.bucket}/${target.root} at ${target.endpoint}`;
    }

    async get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
        checkKey(key);
        const held = await this.read(key);
        return held.kind === "document" ? { value: held.envelope.value as T, version: held.etag } : undefined;
    }

    async put(key: string, value: unknown, condition?: Condition): Promise<string | undefined> {
        checkKey(key);
        const write = randomUUID();
        const body = JSON.stringify({ promotions: "kv/1", write, value } satisfies Envelope);
        if (condition === undefined) {
            return this.etagOf(key, await this.request("PUT", key, { body }));
        }
        if ("ifVersion" in condition) {
            return this.conditionalPut(key, body, write, { "If-Match": condition.ifVersion });
        }
        for (let round = 0; round < raceRounds; round++) {
            const created = await this.conditionalPut(key, body, write, { "If-None-Match": "*" });
            if (created !== undefined) {
                return created;
            }
            // Taken, unless by a tombstone: a deleted key is absent.
            const held = await this.read(key);
            if (held.kind === "document") {
                return undefined;
            }
            if (held.kind === "tombstone") {
                const replaced = await this.conditionalPut(key, body, write, { "If-Match": held.etag });
                if (replaced !== undefined) {
                    return replaced;
                }
            }
        }
        return undefined;
    }

    async delete(key: string, ifVersion?: string): Promise<boolean> {
        checkKey(key);
        for (let round = 0; round < raceRounds; round++) {
            let version = ifVersion;
            if (version === undefined) {
                const held = await this.read(key);
                if (held.kind !== "document") {
                    return false;
                }
                version = held.etag;
            }
            const deleted = randomUUID();
            const body = JSON.stringify({ deleted } satisfies Tombstone);
            let tomb = await this.request("PUT", key, {
                body,
                headers: { "If-Match": version },
                ok: [200, 404, 412],
            });
            if (tomb.status !== 200 && tomb.retried) {
                // Our first try may have landed with its answer lost: then the tombstone there is ours.
                const held = await this.read(key);
                if (held.kind === "tombstone" && held.deleted === deleted) {
                    tomb = { ...tomb, status: 200, etag: held.etag };
                }
            }
            if (tomb.status === 200) {
                await this.request("DELETE", key, {
                    headers: { "If-Match": this.etagOf(key, tomb) },
                    ok: [204, 200, 404, 412],
                });
                return true;
            }
            if (ifVersion !== undefined) {
                return false;
            }
        }
        return false;
    }

    async list(
        prefix: string,
        o: { readonly after?: string; readonly limit?: number } = {},
    ): Promise<string[]> {
        if (
            !/^[A-Za-z0-9._/-]*$/.test(prefix) ||
            (o.after !== undefined && !/^[A-Za-z0-9._/-]*$/.test(o.after))
        ) {
            throw new Error(
                `"${prefix}" / "${o.after}" is not a store key prefix: letters, digits, '.', '_', '-', '/'`,
            );
        }
        const limit = o.limit ?? Infinity;
        const keys: string[] = [];
        let token: string | undefined;
        while (keys.length < limit) {
            const q = new URLSearchParams({ "list-type": "2", prefix: this.target.root + prefix });
            q.set("max-keys", String(Math.min(1000, limit - keys.length)));
            if (token !== undefined) {
                q.set("continuation-token", token);
            } else if (o.after !== undefined) {
                q.set("start-after", this.target.root + o.after);
            }
            const r = await this.request("GET", undefined, { query: q });
            for (const c of r.body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
                const name = xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(c[1])?.[1] ?? "");
                const size = Number(/<Size>(\d+)<\/Size>/.exec(c[1])?.[1] ?? "1");
                if (size > tombstoneBytes && name.startsWith(this.target.root) && keys.length < limit) {
                    keys.push(name.slice(this.target.root.length));
                }
            }
            token = /<IsTruncated>true<\/IsTruncated>/.test(r.body)
                ? xmlText(
                      /<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(r.body)?.[1] ?? "",
                  )
                : undefined;
            if (!token) {
                break;
            }
        }
        return keys;
    }

    close(): Promise<void> {
        // Node's fetch keeps idle connections in its global pool, which never holds the process open.
        this.closed = true;
        return Promise.resolve();
    }

    /**
     * A conditional PUT: the new ETag, or undefined when the condition does not hold (412, or 404 for an
     * `If-Match` on a key that is gone). After a retry, a 412 may be our own first try's success whose answer
     * was lost: the write's uuid tells.
     */
    private async conditionalPut(
        key: string,
        body: string,
        write: string,
        headers: Record<string, string>,
    ): Promise<string | undefined> {
        const r = await this.request("PUT", key, { body, headers, ok: [200, 404, 412] });
        if (r.status === 200) {
            return this.etagOf(key, r);
        }
        if (r.retried) {
            const held = await this.read(key);
            if (held.kind === "document" && held.envelope.write === write) {
                return held.etag;
            }
        }
        return undefined;
    }

    /** What `key` holds now. */
    private async read(key: string): Promise<Held> {
        const r = await this.request("GET", key, { ok: [200, 404] });
        if (r.status === 404) {
            return { kind: "absent" };
        }
        let parsed: Partial<Envelope & Tombstone> | undefined;
        try {
            parsed = JSON.parse(r.body) as Partial<Envelope & Tombstone>;
        } catch {
            // reported below
        }
        if (
            parsed?.promotions === "kv/1" &&
            typeof parsed.write === "string" &&
            r.body.length >= documentBytes
        ) {
            return { kind: "document", etag: this.etagOf(key, r), envelope: parsed as Envelope };
        }
        if (typeof parsed?.deleted === "string" && r.body.length === tombstoneBytes) {
            return { kind: "tombstone", etag: this.etagOf(key, r), deleted: parsed.deleted };
        }
        throw new EnvironmentError(
            `${this.describe(key)} is not a coordination-store document (something else wrote it); ` +
                `remove that object or point the backend URL elsewhere`,
        );
    }

    private etagOf(key: string, r: S3Answer): string {
        if (r.etag === undefined || r.etag === "") {
            throw new EnvironmentError(
                `${this.describe(key)}: the S3 server at ${this.target.endpoint} answered without an ETag, which ` +
                    `compare-and-set needs; use an S3-compatible server that returns ETags and honours If-Match`,
            );
        }
        return r.etag;
    }

    private describe(key?: string): string {
        return key === undefined
            ? `s3://${this.target.bucket}/${this.target.root}`
            : `s3://${this.target.bucket}/${this.target.root}${key}`;
    }

    private async sign(): Promise<Signer> {
        this.signer ??= (async () => {
            const { AwsClient } = await import("aws4fetch");
            const c = this.credentials();
            return new AwsClient({ ...c, service: "s3", region: this.target.region, retries: 0 });
        })();
        try {
            return await this.signer;
        } catch (e) {
            this.signer = undefined;
            throw e;
        }
    }

    /** One request, tried again on what may pass; any other status than `ok` is an error naming the fix. */
    private async request(
        method: "GET" | "PUT" | "DELETE",
        key: string | undefined,
        o: {
            readonly body?: string;
            readonly headers?: Record<string, string>;
            readonly query?: URLSearchParams;
            readonly ok?: readonly number[];
        } = {},
    ): Promise<S3Answer> {
        if (this.closed) {
            throw new Error(`the coordination store ${this.describe()} was closed`);
        }
        const signer = await this.sign();
        const url =
            key === undefined
                ? `${this.target.bucketUrl}/?${o.query?.toString() ?? ""}`
                : `${this.target.bucketUrl}/${this.target.root}${key}`;
        const headers: Record<string, string> = {
            "x-amz-content-sha256":
                o.body === undefined ? emptySha256 : createHash("sha256").update(o.body).digest("hex"),
            ...(o.body !== undefined
                ? { "content-type": "application/json", ...this.target.writeHeaders }
                : {}),
            ...o.headers,
        };
        const ok = o.ok ?? [200];
        let failure = "";
        for (let attempt = 0; attempt < attempts; attempt++) {
            if (attempt > 0) {
                await new Promise((r) => setTimeout(r, (25 + Math.random() * 50) * 2 ** attempt));
            }
            let res: Response;
            try {
                const req = await signer.sign(url, {
                    method,
                    headers,
                    ...(o.body !== undefined ? { body: o.body } : {}),
                    signal: AbortSignal.timeout(requestTimeoutMs),
                });
                res = await fetch(req);
            } catch (e) {
                failure = networkReason(e);
                continue;
            }
            const body = await res.text();
            const answer: S3Answer = {
                status: res.status,
                etag: res.headers.get("etag") ?? undefined,
                body,
                retried: attempt > 0,
            };
            // A 404 is an answer about the key (NoSuchKey) unless the bucket itself is missing.
            if (ok.includes(res.status) && !(res.status === 404 && s3Code(body) === "NoSuchBucket")) {
                return answer;
            }
            if (res.status >= 500 || res.status === 429 || transientConflicts.has(s3Code(body))) {
                failure = `${res.status} ${s3Error(body)}`;
                continue;
            }
            throw this.refused(method, key, res.status, body);
        }
        throw new EnvironmentError(
            `the coordination store ${this.describe(key)} at ${this.target.endpoint} did not answer ${method} ` +
                `after ${attempts} tries (${failure}); check that the endpoint is up and reachable from here`,
        );
    }

    private refused(method: string, key: string | undefined, status: number, body: string): Error {
        return new EnvironmentError(
            `the coordination store ${this.describe(key)} at ${this.target.endpoint}: ${method} answered ` +
                `${status} ${s3Error(body)}; ${this.fixFor(status, s3Code(body))}`,
        );
    }

    /** What to do about a refusal, by the S3 error code (or the status, when the server gave none). */
    private fixFor(status: number, code: string): string {
        switch (code) {
            case "NoSuchBucket":
                return `create the bucket "${this.target.bucket}" (Pulumi's s3:// backend needs it too) or fix the backend URL`;
            case "InvalidAccessKeyId":
            case "SignatureDoesNotMatch":
            case "ExpiredToken":
            case "InvalidToken":
                return "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the URL's region";
            case "AccessDenied":
                return `grant these credentials s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on ${this.describe()}`;
            case "NotImplemented":
                return "this S3 server does not support conditional writes (If-Match / If-None-Match on PUT), which the coordination store needs";
            case "PermanentRedirect":
            case "AuthorizationHeaderMalformed":
                return "set the bucket's region in the backend URL (?region=…)";
            case "ObjectParentIsFile":
            case "ExistingObjectIsDirectory":
                return `this server keeps objects as files, so a key and a key under it ("a" and "a/b") cannot both exist`;
        }
        return status === 403
            ? "check the credentials and the bucket's policy"
            : status === 501
              ? "this S3 server lacks a request the coordination store needs (conditional writes, ListObjectsV2)"
              : "check the backend URL and the server's log";
    }
}

function s3Code(body: string): string {
    return /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? "";
}

/** `Code: Message` of an S3 error document, without anything else it carries. */
function s3Error(body: string): string {
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    return code === undefined ? "" : message === undefined ? code : `${code}: ${xmlText(message)}`;
}

function networkReason(e: unknown): string {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError") {
        return `no answer in ${requestTimeoutMs / 1000} s`;
    }
    return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

function xmlText(s: string): string {
    return s.replace(
        /&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g,
        (_, name: string, dec?: string, hex?: string) =>
            dec !== undefined
                ? String.fromCodePoint(Number(dec))
                : hex !== undefined
                  ? String.fromCodePoint(parseInt(hex, 16))
                  : ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" } as Record<string, string>)[name],
    );
}

/**
 * The coordination store of an `s3://` backend URL, credentials from `env` (the standard AWS variables; see
 * {@link s3Credentials}). Nothing is sent until the first call; missing credentials fail then, naming the fix.
 */
export function s3Store(backendUrl: string, env: S3Env = process.env): KvStore {
    const target = parseS3BackendUrl(backendUrl, env);
    const profile = new URL(backendUrl).searchParams.get("profile") ?? undefined;
    return new S3Store(target, () => {
        const c = s3Credentials(env, profile);
        if (c === undefined) {
            throw new EnvironmentError(
                `the coordination store s3://${target.bucket}/${target.root} needs AWS credentials: set ` +
                    `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or a ` +
                    `profile with static keys in ~/.aws/credentials (AWS_PROFILE or ?profile=)`,
            );
        }
        return c;
    });
}
