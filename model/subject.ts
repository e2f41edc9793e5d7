/** Who is acting: built by the server from a token, an OIDC JWT or a trusted proxy's headers, or local. */
export interface Subject {
    user: string;
    email?: string;
    groups: readonly string[];
    via: "token" | "oidc" | "proxy" | "loopback" | "local";
}
