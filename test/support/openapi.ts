/**
 * The vendors' published API descriptions, used by the stand-ins to check every request they receive and every
 * answer they give: GitHub's (the `@octokit/openapi` package) and those kept in test/support/apis/ (GitLab,
 * Bitbucket Cloud, Azure DevOps; Swagger 2.0 descriptions are read as the OpenAPI 3.0 shape below). A small
 * JSON-schema checker covers what the descriptions use for these operations (OpenAPI 3.0: $ref, nullable, type,
 * enum, required, properties, additionalProperties, items, oneOf/anyOf/allOf, bounds).
 */
type Schema = {
    $ref?: string;
    type?: string | string[];
    nullable?: boolean;
    enum?: unknown[];
    required?: string[];
    properties?: Record<string, Schema>;
    additionalProperties?: boolean | Schema;
    items?: Schema;
    oneOf?: Schema[];
    anyOf?: Schema[];
    allOf?: Schema[];
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    minItems?: number;
    maxItems?: number;
    example?: unknown;
};

type Parameter = { $ref?: string; name: string; in: string; required?: boolean; schema: Schema };

type Operation = {
    operationId: string;
    parameters?: Parameter[];
    requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
    responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }>;
};

type Spec = {
    paths: Record<string, Record<string, Operation>>;
    components: {
        schemas: Record<string, Schema>;
        parameters: Record<string, Parameter>;
        responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
    };
};

let loaded: ApiDescription | undefined;
/** GitHub's description: 13 MB of JSON, read once per process. */
function github(): ApiDescription {
    loaded ??= new ApiDescription(
        "GitHub",
        require("@octokit/openapi/generated/api.github.com.json") as Spec,
    );
    return loaded;
}

/** A named schema of GitHub's description (e.g. `repository`), for building answers from its examples. */
export function componentSchema(name: string): Schema {
    const s = github().spec.components.schemas[name];
    if (!s) {
        throw new Error(`no schema ${name} in GitHub's description`);
    }
    return s;
}

/** Every way `value` breaks `schema` of GitHub's description, as `path: problem` lines (empty: it conforms). */
export function violations(schema: Schema, value: unknown, where = "$", strict = false): string[] {
    return github().violations(schema, value, where, strict);
}

/** Finds the operation of GitHub's description for `method path` among `templates`. */
export function matchOperation(
    method: string,
    pathname: string,
    templates: readonly string[],
): MatchedOperation | undefined {
    return github().matchOperation(method, pathname, templates);
}

/** Checks a request against its operation of GitHub's description (see {@link ApiDescription.checkRequest}). */
export function checkRequest(
    op: MatchedOperation,
    query: URLSearchParams,
    body: unknown,
): { query: Record<string, unknown>; problems: string[] } {
    return github().checkRequest(op, query, body);
}

/** Checks an answer against GitHub's description (see {@link ApiDescription.checkResponse}). */
export function checkResponse(op: MatchedOperation, status: number, body: unknown): string[] {
    return github().checkResponse(op, status, body);
}

/** A Swagger 2.0 parameter or response, before it is read as OpenAPI 3.0. */
type Swagger2Parameter = Parameter & { type?: string; items?: Schema; enum?: unknown[]; format?: string };

/**
 * Reads a Swagger 2.0 description (GitLab's, Azure DevOps') as the OpenAPI 3.0 shape the checker walks: typed
 * parameters get a schema, a body parameter becomes the request body, a response's schema its JSON content.
 * `#/definitions/…` references resolve against the same object, so they are kept as they are.
 */
export function fromSwagger2(doc: Record<string, unknown>): Spec {
    const paths: Spec["paths"] = {};
    const raw = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    for (const [template, methods] of Object.entries(raw)) {
        paths[template] = {};
        for (const [method, op] of Object.entries(methods)) {
            if (method === "parameters") {
                continue;
            }
            const shared = (doc.parameters ?? {}) as Record<string, Swagger2Parameter>;
            const params = [
                ...((methods.parameters as unknown as Swagger2Parameter[] | undefined) ?? []),
                ...((op.parameters as Swagger2Parameter[] | undefined) ?? []),
            ].map((p) => (p.$ref ? shared[p.$ref.replace("#/parameters/", "")] : p));
            const body = params.find((p) => p.in === "body");
            const responses: Operation["responses"] = {};
            for (const [status, r] of Object.entries(
                (op.responses ?? {}) as Record<string, { schema?: Schema }>,
            )) {
                responses[status] = r.schema ? { content: { "application/json": { schema: r.schema } } } : {};
            }
            paths[template][method] = {
                operationId: String(op.operationId),
                parameters: params
                    .filter((p) => p.in !== "body")
                    .map((p) => ({
                        name: p.name,
                        in: p.in,
                        ...(p.required ? { required: true } : {}),
                        schema: p.schema ?? {
                            ...(p.type ? { type: p.type } : {}),
                            ...(p.items ? { items: p.items } : {}),
                            ...(p.enum ? { enum: p.enum } : {}),
                        },
                    })),
                ...(body
                    ? {
                          requestBody: {
                              ...(body.required ? { required: true } : {}),
                              content: { "application/json": { schema: body.schema } },
                          },
                      }
                    : {}),
                responses,
            };
        }
    }
    return {
        ...(doc as object),
        paths,
        components: { schemas: {}, parameters: {}, responses: {} },
    } as Spec;
}

/** One operation of a description, matched from a method and a concrete path. */
export interface MatchedOperation {
    readonly template: string;
    readonly operationId: string;
    readonly params: Record<string, string>;
    readonly operation: Operation;
}

/** One vendor's description, and the checks the stand-ins make with it. */
export class ApiDescription {
    private readonly routes = new Map<string, { regex: RegExp; names: string[] }>();

    constructor(
        /** Named in problems, e.g. `GitLab`. */
        readonly vendor: string,
        readonly spec: Spec,
        /**
         * The description leaves errors undescribed (GitLab lists error statuses without their body, Azure
         * DevOps lists none): any error status and body is taken. Successes are checked as everywhere.
         */
        private readonly errorBodiesUndescribed = false,
        /**
         * Azure DevOps' wire format (its published examples show it): a create answers 201 with what 200
         * documents, and a collection comes as `{count, value}` around the documented array.
         */
        private readonly wireEnvelopes = false,
    ) {}

    private deref<T extends { $ref?: string }>(x: T): T {
        let cur: T = x;
        while (cur.$ref) {
            const parts = cur.$ref.replace(/^#\//, "").split("/");
            let node: unknown = this.spec;
            for (const p of parts) {
                node = (node as Record<string, unknown>)[p];
            }
            if (node === undefined) {
                throw new Error(`unresolved $ref ${cur.$ref}`);
            }
            cur = node as T;
        }
        return cur;
    }
    /** A schema with its references and nested allOf parts resolved into one set of properties. */
    private flatten(schema: Schema): Schema {
        const s = this.deref(schema);
        if (!s.allOf) {
            return s;
        }
        const parts = [...s.allOf.map((x) => this.flatten(x)), { ...s, allOf: undefined }];
        return {
            type: "object",
            properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<string, Schema>,
            required: parts.flatMap((p) => p.required ?? []),
        };
    }

    /** Every way `value` breaks `schema`, as `path: problem` lines (empty: it conforms). */
    violations(schema: Schema, value: unknown, where = "$", strict = false): string[] {
        // Swagger 2.0 says nullable as `x-nullable`, beside a $ref too.
        if (value === null && (schema as { "x-nullable"?: boolean })["x-nullable"] === true) {
            return [];
        }
        const s = this.deref(schema);
        if (value === null) {
            const nullOk =
                s.nullable === true ||
                (s as { "x-nullable"?: boolean })["x-nullable"] === true ||
                (Array.isArray(s.type) && s.type.includes("null")) ||
                s.type === "null" ||
                (s.enum?.includes(null) ?? false);
            if (nullOk) {
                return [];
            }
            if (s.oneOf || s.anyOf || s.allOf) {
                // fall through to the combinators
            } else {
                return [`${where}: null is not allowed`];
            }
        }
        if (s.allOf) {
            // The parts (and properties beside them, as Azure DevOps writes them) describe one object: checked
            // as their union, so no part's properties count as unknown to another.
            const parts = [...s.allOf.map((x) => this.flatten(x)), { ...s, allOf: undefined }];
            if (parts.every((p) => !p.oneOf && !p.anyOf)) {
                const properties = Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<
                    string,
                    Schema
                >;
                const required = parts.flatMap((p) => p.required ?? []);
                const open = parts.some((p) => p.additionalProperties === true);
                return this.violations(
                    {
                        ...(parts.some((p) => p.type) ? { type: "object" } : {}),
                        properties,
                        required,
                        ...(open ? { additionalProperties: true } : {}),
                    },
                    value,
                    where,
                    strict,
                );
            }
            return s.allOf.flatMap((x) => this.violations(x, value, where, strict));
        }
        if (s.oneOf || s.anyOf) {
            const options = (s.oneOf ?? s.anyOf)!;
            const results = options.map((x) => this.violations(x, value, where, strict));
            const passing = results.filter((r) => r.length === 0).length;
            if (passing === 0) {
                return [
                    `${where}: matches none of ${options.length} alternatives (${results.map((r) => r[0]).join("; ")})`,
                ];
            }
            return [];
        }
        const problems: string[] = [];
        if (s.type) {
            const types = Array.isArray(s.type) ? s.type : [s.type];
            const t = typeOf(value);
            const ok = types.includes(t) || (t === "integer" && types.includes("number"));
            if (!ok) {
                return [`${where}: expected ${types.join("|")}, got ${t}`];
            }
        }
        if (s.enum && !s.enum.includes(value)) {
            problems.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
        }
        if (typeof value === "number") {
            if (s.minimum !== undefined && value < s.minimum) {
                problems.push(`${where}: below ${s.minimum}`);
            }
            if (s.maximum !== undefined && value > s.maximum) {
                problems.push(`${where}: above ${s.maximum}`);
            }
        }
        if (typeof value === "string") {
            if (s.maxLength !== undefined && value.length > s.maxLength) {
                problems.push(`${where}: longer than ${s.maxLength}`);
            }
            if (s.minLength !== undefined && value.length < s.minLength) {
                problems.push(`${where}: shorter than ${s.minLength}`);
            }
        }
        if (Array.isArray(value)) {
            if (s.minItems !== undefined && value.length < s.minItems) {
                problems.push(`${where}: fewer than ${s.minItems} items`);
            }
            if (s.maxItems !== undefined && value.length > s.maxItems) {
                problems.push(`${where}: more than ${s.maxItems} items`);
            }
            if (s.items) {
                value.forEach((item, i) =>
                    problems.push(...this.violations(s.items!, item, `${where}[${i}]`, strict)),
                );
            }
        }
        if (typeOf(value) === "object") {
            const obj = value as Record<string, unknown>;
            for (const r of s.required ?? []) {
                if (!(r in obj)) {
                    problems.push(`${where}.${r}: required`);
                }
            }
            for (const [k, v] of Object.entries(obj)) {
                const prop = s.properties?.[k];
                if (prop) {
                    problems.push(...this.violations(prop, v, `${where}.${k}`, strict));
                } else if (typeof s.additionalProperties === "object") {
                    problems.push(...this.violations(s.additionalProperties, v, `${where}.${k}`, strict));
                } else if (s.additionalProperties === false || (strict && s.properties)) {
                    problems.push(`${where}.${k}: not a property ${this.vendor} knows`);
                }
            }
        }
        return problems;
    }

    /** Finds the operation for `method path` among `templates` (the subset the stand-in serves). */
    matchOperation(
        method: string,
        pathname: string,
        templates: readonly string[],
    ): MatchedOperation | undefined {
        for (const template of templates) {
            let route = this.routes.get(template);
            if (!route) {
                const names: string[] = [];
                const source = template
                    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
                    .replace(/\{(\w+)\}/g, (_m, n: string) => {
                        names.push(n);
                        // `ref` parameters (git refs) span slashes; the rest are one segment.
                        return n === "ref" ? "(.+)" : "([^/]+)";
                    });
                route = { regex: new RegExp(`^${source}$`), names };
                this.routes.set(template, route);
            }
            const m = route.regex.exec(pathname);
            const operation = this.spec.paths[template]?.[method.toLowerCase()];
            if (m && operation) {
                const params: Record<string, string> = {};
                route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
                return { template, operationId: operation.operationId, params, operation };
            }
        }
        return undefined;
    }

    private coerce(raw: string, schema: Schema): unknown {
        const s = this.deref(schema);
        const t = Array.isArray(s.type) ? s.type[0] : s.type;
        if (t === "integer" || t === "number") {
            return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
        }
        if (t === "boolean") {
            return raw === "true" ? true : raw === "false" ? false : raw;
        }
        return raw;
    }

    /**
     * Checks a request against its operation: path and query parameters (unknown query parameters are refused,
     * so a misspelt one cannot pass silently), and the JSON body (unknown properties refused for the same reason).
     * Returns the typed query and the problems.
     */
    checkRequest(
        op: MatchedOperation,
        query: URLSearchParams,
        body: unknown,
    ): { query: Record<string, unknown>; problems: string[] } {
        const problems: string[] = [];
        const typed: Record<string, unknown> = {};
        const parameters = (op.operation.parameters ?? []).map((p) => this.deref(p));
        for (const p of parameters) {
            if (p.in === "path") {
                problems.push(
                    ...this.violations(
                        p.schema,
                        this.coerce(op.params[p.name] ?? "", p.schema),
                        `path.${p.name}`,
                    ),
                );
            }
            if (p.in === "query" && query.has(p.name)) {
                typed[p.name] = this.coerce(query.get(p.name)!, p.schema);
                problems.push(...this.violations(p.schema, typed[p.name], `query.${p.name}`));
            }
            if (p.in === "query" && p.required && !query.has(p.name)) {
                problems.push(`query.${p.name}: required`);
            }
        }
        for (const k of query.keys()) {
            if (!parameters.some((p) => p.in === "query" && p.name === k)) {
                problems.push(`query.${k}: not a parameter of ${op.operationId}`);
            }
        }
        const rb = op.operation.requestBody;
        if (rb) {
            const schema = rb.content["application/json"]?.schema;
            if (body === undefined) {
                if (rb.required) {
                    problems.push("body: required");
                }
            } else if (schema) {
                problems.push(...this.violations(schema, body, "body", true));
            }
        } else if (body !== undefined) {
            problems.push(`body: ${op.operationId} takes none`);
        }
        return { query: typed, problems };
    }

    /** Checks an answer against the description's schema for that status (an undocumented status is a problem). */
    checkResponse(op: MatchedOperation, status: number, body: unknown): string[] {
        if (
            this.wireEnvelopes &&
            status === 201 &&
            !op.operation.responses["201"] &&
            op.operation.responses["200"]
        ) {
            return this.checkResponse(op, 200, body);
        }
        const declared = op.operation.responses[String(status)];
        if (!declared && this.errorBodiesUndescribed && status >= 400) {
            return [];
        }
        if (!declared) {
            return [`status ${status}: not documented for ${op.operationId}`];
        }
        const response = this.deref(declared);
        const schema = response.content?.["application/json"]?.schema;
        if (!schema) {
            return body === undefined || (this.errorBodiesUndescribed && status >= 400)
                ? []
                : [`status ${status}: ${op.operationId} documents no body`];
        }
        const envelope = body as { count?: unknown; value?: unknown } | undefined;
        if (this.wireEnvelopes && this.deref(schema).type === "array" && Array.isArray(envelope?.value)) {
            const extra = Object.keys(envelope!).filter((k) => k !== "count" && k !== "value");
            return [
                ...(typeof envelope!.count === "number"
                    ? []
                    : ["response.count: the envelope's count is missing"]),
                ...extra.map((k) => `response.${k}: not part of the {count, value} envelope`),
                ...this.violations(schema, envelope!.value, "response.value"),
            ];
        }
        return this.violations(schema, body, "response");
    }
}

function typeOf(v: unknown): string {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "array";
    }
    if (typeof v === "number") {
        return Number.isInteger(v) ? "integer" : "number";
    }
    return typeof v;
}
