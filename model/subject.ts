export interface Subject {
    readonly user: string;
    readonly email?: string;
    readonly groups: readonly string[];
    readonly via: "token" | "oidc" | "proxy" | "loopback" | "local";
}
