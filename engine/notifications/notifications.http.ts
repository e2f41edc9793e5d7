/**
 * The HTTP client notifications are delivered with: node:http(s) with a DNS lookup that refuses non-public
 * addresses (loopback, private, link-local, …) at connect time, so a name that resolves elsewhere on the
 * second lookup (DNS rebinding) is judged where it counts. Redirects are never followed.
 */
import * as dns from "node:dns";
import * as http from "node:http";
import * as https from "node:https";
import type { LookupFunction } from "node:net";
import { nonPublicAddress } from "../../model/networkAddress";

/** The `code` of the error a connection to a non-public address fails with. */
export const nonPublicAddressCode = "ERR_PROMOTIONS_NON_PUBLIC_ADDRESS";

/** A DNS lookup that fails when any address of the name is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) {
            callback(err, "", 0);
            return;
        }
        for (const a of addresses) {
            const kind = nonPublicAddress(a.address);
            if (kind) {
                const refused = Object.assign(
                    new Error(
                        `${hostname} resolves to ${a.address}, which is not a public address (${kind}): not connected; set allowPrivateNetworks: true on the notification if this receiver is on your network on purpose`,
                    ),
                    { code: nonPublicAddressCode },
                );
                callback(refused, "", 0);
                return;
            }
        }
        if (options.all) {
            callback(null, addresses);
        } else {
            callback(null, addresses[0].address, addresses[0].family);
        }
    });
};

// Kept-alive connections are pooled per agent: a connection opened for a notification that allows private
// networks must never be reused by one that does not.
const agents = {
    guarded: {
        "http:": new http.Agent({ keepAlive: true, lookup: publicOnlyLookup }),
        "https:": new https.Agent({ keepAlive: true, lookup: publicOnlyLookup }),
    },
    open: {
        "http:": new http.Agent({ keepAlive: true }),
        "https:": new https.Agent({ keepAlive: true }),
    },
};

export interface PostInit {
    readonly body: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly signal: AbortSignal;
}

/**
 * POSTs `body` and resolves with the answer's status and `Location` (the body is discarded), never following a
 * redirect. Without `allowPrivateNetworks`, connecting to a name that resolves to a non-public address fails
 * with {@link nonPublicAddressCode}; a literal address in the URL is the caller's to check.
 */
export function post(
    url: string,
    init: PostInit,
    o: { readonly allowPrivateNetworks: boolean },
): Promise<{ status: number; location?: string }> {
    const target = new URL(url);
    const protocol = target.protocol === "https:" ? "https:" : "http:";
    const agent = (o.allowPrivateNetworks ? agents.open : agents.guarded)[protocol];
    const request = protocol === "https:" ? https.request : http.request;
    return new Promise((resolve, reject) => {
        const req = request(
            target,
            {
                method: "POST",
                agent,
                headers: { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) },
                signal: init.signal,
            },
            (res) => {
                res.resume();
                const location = res.headers.location;
                resolve({ status: res.statusCode ?? 0, ...(location ? { location } : {}) });
            },
        );
        req.on("error", reject);
        req.end(init.body);
    });
}
