import { exitCodes, PromotionError } from "../model/errors";
import { redact } from "../model/redact";

/** The error codes of the API's error body (README, "Server and API"). */
export const errorCodes = [
    "invalid_input",
    "not_found",
    "forbidden",
    "environment",
    "internal",
    "unauthenticated",
    "conflict",
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The body of every error answer: `{ "error": { code, message, entity?, path? } }`. */
export interface ApiErrorBody {
    readonly error: {
        readonly code: ErrorCode;
        readonly message: string;
        readonly entity?: string;
        readonly path?: string;
    };
}

export interface ApiError {
    readonly status: 400 | 401 | 403 | 404 | 409 | 500 | 503;
    readonly body: ApiErrorBody;
}

/** How the CLI classifies an error (cli/errors.ts classifyError): its exit code and message. */
export type Classifier = (e: unknown) => { readonly exitCode: number; readonly message: string };

/** Without the CLI's classifier: our errors by their exit code, anything else internal. */
export const defaultClassifier: Classifier = (e) =>
    e instanceof PromotionError
        ? { exitCode: e.exitCode, message: e.message }
        : { exitCode: exitCodes.failed, message: e instanceof Error ? e.message : String(e) };

/** An invalid-input message about something that does not exist (a product, release, flow, environment, run). */
const unknownEntity = /^(unknown (product|flow|environment)|no (release|run)) "/;

/** An error the API answers by itself (an unknown route, a refused origin): never from the engine. */
export class ApiRefusal extends Error {
    constructor(
        readonly status: 401 | 403 | 404 | 400 | 409,
        readonly code: ErrorCode,
        message: string,
        readonly entity?: string,
    ) {
        super(message);
    }
}

/**
 * Maps anything thrown to an HTTP status and error body, with the CLI's message: exit code 2 (invalid input)
 * is 404 `not_found` when it names an unknown product, release, flow, environment or run, else 400
 * `invalid_input`; exit code 3 (environment: Git, the state backend, a locked stack) 503 `environment`;
 * anything else 500 `internal`. The message is redacted.
 */
export function apiError(e: unknown, classify: Classifier = defaultClassifier): ApiError {
    if (e instanceof ApiRefusal) {
        return body(e.status, e.code, e.message, e.entity);
    }
    const { exitCode, message } = classify(e);
    const entity = e instanceof PromotionError ? e.entity : undefined;
    const path = e instanceof PromotionError ? e.path : undefined;
    switch (exitCode) {
        case exitCodes.invalidInput:
            return unknownEntity.test(message)
                ? body(404, "not_found", message, entity, path)
                : body(400, "invalid_input", message, entity, path);
        case exitCodes.environment:
            return body(503, "environment", message, entity, path);
        default:
            return body(500, "internal", message || "internal error", entity, path);
    }
}

function body(
    status: ApiError["status"],
    code: ErrorCode,
    message: string,
    entity?: string,
    path?: string,
): ApiError {
    return {
        status,
        body: {
            error: {
                code,
                message: redact(message),
                ...(entity !== undefined ? { entity: redact(entity) } : {}),
                ...(path !== undefined ? { path: redact(path) } : {}),
            },
        },
    };
}
