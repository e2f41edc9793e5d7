import Ajv2020 from "ajv/dist/2020";

/**
 * Checks the server's answers against its own OpenAPI 3.1 description (GET /api/v1/openapi.json), with Ajv's
 * JSON Schema 2020-12 validator: the operation must exist, the status must be documented, and the body must
 * match the documented schema.
 */
export interface OpenApiDoc {
    readonly paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
    >;
}

export class ApiSchema {
    private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

    constructor(private readonly doc: OpenApiDoc) {
        this.ajv.addSchema(doc as object, "openapi");
    }

    /** The documented path template for a concrete path (`/api/v1/releases/r1` → `/api/v1/releases/{id}`). */
    template(path: string): string | undefined {
        const bare = path.split("?")[0];
        return Object.keys(this.doc.paths).find((t) =>
            new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(bare),
        );
    }

    /** What is wrong with this answer (nothing: an empty list). */
    violations(method: string, path: string, status: number, body: unknown): string[] {
        const t = this.template(path);
        if (!t) {
            // An unknown endpoint: only a 404 in the documented error shape is right.
            return status === 404
                ? this.check("components/schemas/Error", body, `${method} ${path} ${status}`)
                : [`${method} ${path}: no such path in the description`];
        }
        const op = this.doc.paths[t][method.toLowerCase()];
        if (!op) {
            return [`${method} ${t}: no such operation in the description`];
        }
        if (!op.responses[String(status)]) {
            return [`${method} ${t}: status ${status} is not documented`];
        }
        if (!op.responses[String(status)].content?.["application/json"]) {
            return [`${method} ${t}: status ${status} has no JSON body documented`];
        }
        const pointer = [
            "paths",
            t,
            method.toLowerCase(),
            "responses",
            String(status),
            "content",
            "application/json",
            "schema",
        ]
            .map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1"))
            .join("/");
        return this.check(pointer, body, `${method} ${t} ${status}`);
    }

    private check(pointer: string, body: unknown, where: string): string[] {
        const validate = this.ajv.getSchema(`openapi#/${pointer}`);
        if (!validate) {
            return [`${where}: schema not found`];
        }
        return validate(body)
            ? []
            : (validate.errors ?? []).map((e) => `${where}: ${e.instancePath || "body"} ${e.message}`);
    }
}
