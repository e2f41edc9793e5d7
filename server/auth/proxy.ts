import { BlockList, isIP } from "node:net";
import { InvalidInputError } from "../../model/errors";
import type { Subject } from "../../model/subject";

/**
 * A trusted auth proxy (oauth2-proxy and the like) authenticates users and passes who they are in
 * `X-Forwarded-User`, `X-Forwarded-Email` and `X-Forwarded-Groups` (comma-separated). Anyone can send those
 * headers, so they count only when the TCP peer is one of the `--trusted-proxy` addresses.
 */

/** The proxy headers (lower-case, as Node and Hono give them). */
export const proxyHeaderNames = ["x-forwarded-user", "x-forwarded-email", "x-forwarded-groups"] as const;

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, how a dual-stack socket reports it) as plain IPv4. */
export function plainAddress(address: string): string {
    const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return m ? m[1] : address;
}

/** The set of `--trusted-proxy` addresses: CIDR blocks (`10.0.0.0/8`, `fd00::/8`) or single addresses. */
export class TrustedProxies {
    private readonly list = new BlockList();
    readonly size: number;

    constructor(cidrs: readonly string[]) {
        for (const cidr of cidrs) {
            const [address, bits, extra] = cidr.split("/");
            const family = isIP(address);
            const max = family === 4 ? 32 : 128;
            const prefix = bits === undefined ? max : Number(bits);
            if (family === 0 || extra !== undefined || !/^\d+$/.test(bits ?? "0") || prefix > max) {
                throw new InvalidInputError(
                    `--trusted-proxy "${cidr}": an IP address or CIDR block, e.g. 10.0.0.5 or 10.0.0.0/8`,
                    { path: "--trusted-proxy" },
                );
            }
            this.list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
        }
        this.size = cidrs.length;
    }

    /** Is this TCP peer address a trusted proxy? */
    has(peer: string | undefined): boolean {
        if (peer === undefined) {
            return false;
        }
        const address = plainAddress(peer);
        const family = isIP(address);
        return family !== 0 && this.list.check(address, family === 4 ? "ipv4" : "ipv6");
    }
}

/** Does the request carry any of the proxy headers? */
export function hasProxyHeaders(headers: Readonly<Record<string, string | undefined>>): boolean {
    return proxyHeaderNames.some((h) => headers[h] !== undefined);
}

/**
 * The subject a trusted proxy's headers name, or the reason they name none: the user is `X-Forwarded-User`,
 * else `X-Forwarded-Email`.
 */
export function proxySubject(headers: Readonly<Record<string, string | undefined>>): Subject | string {
    const user = headers["x-forwarded-user"]?.trim();
    const email = headers["x-forwarded-email"]?.trim();
    const groups = (headers["x-forwarded-groups"] ?? "")
        .split(",")
        .map((g) => g.trim())
        .filter((g) => g !== "");
    const name = user || email;
    if (!name) {
        return "the trusted proxy sent X-Forwarded-Groups without X-Forwarded-User or X-Forwarded-Email: configure it to pass the user (oauth2-proxy: --pass-user-headers)";
    }
    return { user: name, ...(email ? { email } : {}), groups: [...new Set(groups)], via: "proxy" };
}
