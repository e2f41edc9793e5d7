import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { CryptoKey, JWK, JWTPayload } from "jose";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/**
 * A stand-in OIDC issuer on a loopback port: the discovery document and a JWKS with one locally generated
 * ES256 key, and tokens signed with it (or, for wrongly signed ones, with a key it does not publish).
 */
export class OidcIssuer {
    /** The issuer URL (as its tokens' `iss`). */
    url = "";
    /** How many times the JWKS was fetched. */
    jwksFetches = 0;
    private server?: http.Server;
    private key!: CryptoKey;
    private stranger!: CryptoKey;
    private jwk!: JWK;

    static async start(): Promise<OidcIssuer> {
        const issuer = new OidcIssuer();
        await issuer.listen();
        return issuer;
    }

    private async listen(): Promise<void> {
        const pair = await generateKeyPair("ES256");
        this.key = pair.privateKey;
        this.stranger = (await generateKeyPair("ES256")).privateKey;
        this.jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
        this.server = http.createServer((req, res) => {
            const send = (body: unknown) => {
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            if (req.url === "/.well-known/openid-configuration") {
                send({
                    issuer: this.url,
                    jwks_uri: `${this.url}/jwks`,
                    id_token_signing_alg_values_supported: ["ES256"],
                });
            } else if (req.url === "/jwks") {
                this.jwksFetches++;
                send({ keys: [this.jwk] });
            } else {
                res.writeHead(404).end();
            }
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /**
     * A signed JWT: `claims` over the defaults (this issuer, audience `promotions`, issued now, valid one hour).
     * `expiresAt`/`notBefore` are seconds since the epoch; `wrongKey` signs with a key the JWKS does not hold.
     */
    async sign(
        claims: JWTPayload & Record<string, unknown>,
        o: {
            expiresAt?: number;
            notBefore?: number;
            audience?: string;
            issuer?: string;
            wrongKey?: boolean;
        } = {},
    ): Promise<string> {
        const now = Math.floor(Date.now() / 1000);
        let jwt = new SignJWT(claims)
            .setProtectedHeader({ alg: "ES256", kid: "k1" })
            .setIssuer(o.issuer ?? this.url)
            .setAudience(o.audience ?? "promotions")
            .setIssuedAt(now)
            .setExpirationTime(o.expiresAt ?? now + 3600);
        if (o.notBefore !== undefined) {
            jwt = jwt.setNotBefore(o.notBefore);
        }
        return jwt.sign(o.wrongKey ? this.stranger : this.key);
    }

    async close(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        if (server) {
            await new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            });
        }
    }
}
