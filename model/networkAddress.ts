import { isIP } from "node:net";

/**
 * Addresses an outbound request (a notification) must not reach unless its definition allows private
 * networks: this machine, its networks, the cloud metadata service (169.254.169.254) and addresses that are
 * no destination at all. Public addresses are everything else.
 */
export type NonPublicKind =
    | "unspecified"
    | "loopback"
    | "private"
    | "shared (carrier-grade NAT)"
    | "link-local"
    | "multicast"
    | "reserved";

interface Range {
    readonly bytes: readonly number[];
    readonly bits: number;
    readonly kind: NonPublicKind;
}

const v4 = (cidr: string, kind: NonPublicKind): Range => {
    const [addr, bits] = cidr.split("/");
    return { bytes: addr.split(".").map(Number), bits: Number(bits), kind };
};
const v6 = (cidr: string, kind: NonPublicKind): Range => {
    const [addr, bits] = cidr.split("/");
    return { bytes: ipv6Bytes(addr)!, bits: Number(bits), kind };
};

// IANA's special-purpose registries, narrowed to what is never a receiver on the internet.
const ipv4Ranges: readonly Range[] = [
    v4("0.0.0.0/8", "unspecified"),
    v4("127.0.0.0/8", "loopback"),
    v4("10.0.0.0/8", "private"),
    v4("172.16.0.0/12", "private"),
    v4("192.168.0.0/16", "private"),
    v4("100.64.0.0/10", "shared (carrier-grade NAT)"),
    v4("169.254.0.0/16", "link-local"),
    v4("192.0.0.0/24", "reserved"),
    v4("192.0.2.0/24", "reserved"),
    v4("198.18.0.0/15", "reserved"),
    v4("198.51.100.0/24", "reserved"),
    v4("203.0.113.0/24", "reserved"),
    v4("224.0.0.0/4", "multicast"),
    v4("240.0.0.0/4", "reserved"),
];

const ipv6Ranges: readonly Range[] = [
    v6("::/128", "unspecified"),
    v6("::1/128", "loopback"),
    v6("fc00::/7", "private"),
    v6("fe80::/10", "link-local"),
    v6("fec0::/10", "private"),
    v6("ff00::/8", "multicast"),
    v6("2001:db8::/32", "reserved"),
    v6("100::/64", "reserved"),
];

function inRange(bytes: readonly number[], r: Range): boolean {
    for (let bit = 0; bit < r.bits; bit += 8) {
        const i = bit / 8;
        const n = Math.min(8, r.bits - bit);
        const mask = (0xff << (8 - n)) & 0xff;
        if ((bytes[i] & mask) !== (r.bytes[i] & mask)) {
            return false;
        }
    }
    return true;
}

/** The 16 bytes of an IPv6 address (zone and brackets allowed), or undefined when it is not one. */
function ipv6Bytes(text: string): number[] | undefined {
    const addr = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
    if (isIP(addr) !== 6) {
        return undefined;
    }
    let groups = addr;
    const tail: number[] = [];
    const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
    if (dotted) {
        tail.push(...dotted[1].split(".").map(Number));
        groups = addr.slice(0, -dotted[1].length) + "0:0";
    }
    const [head, rest] = groups.includes("::") ? groups.split("::") : [groups, undefined];
    const left = head ? head.split(":") : [];
    const right = rest ? rest.split(":") : [];
    const words = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right].map((w) =>
        parseInt(w, 16),
    );
    const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
    if (tail.length === 4) {
        bytes.splice(12, 4, ...tail);
    }
    return bytes;
}

/** The IPv4 address an IPv6 address carries (mapped, IPv4-compatible, NAT64 or 6to4), if any. */
function embeddedIpv4(b: readonly number[]): number[] | undefined {
    const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
    if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) {
        return b.slice(12, 16); // ::ffff:a.b.c.d
    }
    if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) {
        return b.slice(12, 16); // ::a.b.c.d (deprecated IPv4-compatible)
    }
    if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) {
        return b.slice(12, 16); // 64:ff9b::a.b.c.d (NAT64)
    }
    if (b[0] === 0x20 && b[1] === 0x02) {
        return b.slice(2, 6); // 2002:aabb:ccdd:: (6to4)
    }
    return undefined;
}

/**
 * Why this IP address is not a public one (loopback, private, link-local, …), or undefined when it is public
 * or not an IP address at all. IPv6 forms that carry an IPv4 address are judged by that address.
 */
export function nonPublicAddress(address: string): NonPublicKind | undefined {
    if (isIP(address) === 4) {
        const bytes = address.split(".").map(Number);
        return ipv4Ranges.find((r) => inRange(bytes, r))?.kind;
    }
    const bytes = ipv6Bytes(address);
    if (!bytes) {
        return undefined;
    }
    const inner = embeddedIpv4(bytes);
    if (inner) {
        return nonPublicAddress(inner.join("."));
    }
    return ipv6Ranges.find((r) => inRange(bytes, r))?.kind;
}

/**
 * Why a URL's host, as written, is not a public address: a literal non-public IP (in any form the URL
 * parser normalises, e.g. `http://2130706433/` is 127.0.0.1) or `localhost`. Names are judged again after
 * DNS resolution, when connecting.
 */
export function nonPublicHost(hostname: string): { address: string; kind: NonPublicKind } | undefined {
    const host = hostname
        .replace(/^\[|\]$/g, "")
        .replace(/\.$/, "")
        .toLowerCase();
    if (host === "localhost" || host.endsWith(".localhost")) {
        return { address: host, kind: "loopback" };
    }
    const kind = nonPublicAddress(host);
    return kind ? { address: host, kind } : undefined;
}
