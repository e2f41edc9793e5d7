import type { Catalog } from "../../components/catalog";
import { InvalidInputError } from "../../model/errors";
import { isLoopback } from "../access";

/** Does the catalog define permission rules (PromotionPermission)? */
export function hasPermissionRules(catalog: Catalog): boolean {
    return (catalog.permissions?.length ?? 0) > 0;
}

/**
 * May `serve` listen on `host`? Loopback always; another address only with permission rules (every request
 * then needs credentials), or with `--insecure-no-auth` (anyone who reaches it may do anything: returns the
 * warning to print). Throws an InvalidInputError (exit 2) otherwise.
 */
export function checkExposure(
    host: string,
    o: { readonly insecureNoAuth: boolean; readonly hasRules: boolean },
): string | undefined {
    if (isLoopback(host) || (o.hasRules && !o.insecureNoAuth)) {
        return undefined;
    }
    if (!o.insecureNoAuth) {
        throw new InvalidInputError(
            `--host ${host} would expose the API to the network without permission rules: bind to 127.0.0.1 ` +
                "(the default), define PromotionPermission rules (then every request needs an API token, an OIDC " +
                "JWT or a trusted proxy's headers), or add --insecure-no-auth if every machine that can reach it " +
                "may run releases",
            { path: "--host" },
        );
    }
    return (
        `warning: listening on ${host} without authentication (--insecure-no-auth): anyone who can reach ` +
        "this port can read releases and start, retry or terminate them"
    );
}
