import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Catalog, CatalogProduct } from "../../components/catalog";
import type { ReleaseRecord } from "../../engine/record/releaseRecord";
import { InvalidInputError } from "../../model/errors";
import { redactDeep } from "../../model/redact";
import type { ApiOptions } from "../apiOptions";
import { ApiRefusal } from "../errors";
import * as s from "../schemas";

/**
 * What every route file of the API (server/routes/) is given: the app to add its routes to, the API's options,
 * and the few helpers that belong to the API as a whole (who may view what, the releases it started).
 */
export interface RouteContext {
    readonly app: OpenAPIHono;
    readonly o: ApiOptions;
    /** Whether the caller of `c` may view a product's releases (undefined: a release of no known product). */
    readonly visible: (c: Context) => (product: string | undefined) => boolean;
    /** Keeps a release this API started until it ends (for `settled()`). */
    readonly track: <T>(p: Promise<T>) => void;
    /**
     * Starts `start` on release `id` again (a retry, a resume) and answers with the record as soon as the engine
     * reports it Queued or Running, or with how it ended when it ends first.
     */
    readonly runAgain: (
        id: string,
        what: string,
        start: () => Promise<ReleaseRecord>,
    ) => Promise<ReleaseRecord>;
    /** One line per release that failed after it was answered. */
    readonly log: (line: string) => void;
}

export const apiBase = "/api/v1";

/** A readonly value's type with its fields writable (what the route types expect of a body). */
type Writable<T> = T extends readonly (infer U)[]
    ? Writable<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Writable<T[K]> }
      : T;

/** A body to answer: redacted (no token or secret ever leaves the server). */
export function out<T>(value: T): Writable<T> {
    return redactDeep(value) as Writable<T>;
}

/** An engine method the API needs (the real engine has them all; a test's fake engine may not). */
export function supported<F>(method: F | undefined, name: string): F {
    if (method === undefined) {
        throw new ApiRefusal(404, "not_found", `this server's engine does not ${name} releases`);
    }
    return method;
}

export const errors = {
    400: { description: "Invalid input", content: { "application/json": { schema: s.ErrorBody } } },
    401: {
        description:
            "Unauthenticated: no credentials where they are needed, or an unknown, revoked, expired or wrongly signed one",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    403: {
        description: "Refused (origin, CSRF token, or no PromotionPermission allows it)",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    404: {
        description: "Unknown product, release or run",
        content: { "application/json": { schema: s.ErrorBody } },
    },
    500: { description: "Internal error", content: { "application/json": { schema: s.ErrorBody } } },
    503: {
        description: "Environment problem (Git, the state backend, a locked stack)",
        content: { "application/json": { schema: s.ErrorBody } },
    },
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
    description,
    content: { "application/json": { schema } },
});

export const productParam = z.object({
    product: z
        .string()
        .min(1)
        .openapi({ param: { name: "product", in: "path" } }),
});
export const idParam = z.object({
    id: z
        .string()
        .min(1)
        .openapi({ param: { name: "id", in: "path" } }),
});

export function findProduct(catalog: Catalog, name: string): CatalogProduct {
    const product = catalog.products.find((p) => p.name === name);
    if (!product) {
        throw new InvalidInputError(
            `unknown product "${name}": one of ${catalog.products.map((p) => p.name).join(", ") || "(none defined)"}`,
            { entity: `Product "${name}"` },
        );
    }
    return product;
}
