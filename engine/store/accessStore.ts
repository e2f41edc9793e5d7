import { redactDeep } from "../../model/redact";
import type { AccessToken, TokenStore } from "../governance/accessTokens";
import type { KvStore } from "./kv";
import { word } from "./releaseStore";

/**
 * Where API tokens live: `access/tokens/<id>` in the coordination store (engine/store/), beside the release
 * records but not per product. One document per token, its hash included, never the token itself.
 */
export class AccessStore implements TokenStore {
    private readied?: Promise<void>;

    /** `before`: run once before the first read or write (the copy of tokens from an earlier version's stack). */
    constructor(
        private readonly store: KvStore,
        private readonly before?: () => Promise<void>,
    ) {}

    private async kv(): Promise<KvStore> {
        this.readied ??= (this.before?.() ?? Promise.resolve()).catch((e: unknown) => {
            this.readied = undefined;
            throw e;
        });
        await this.readied;
        return this.store;
    }

    async put(token: AccessToken): Promise<void> {
        // The hash is left as it is (a redacted hash would never match again); the rest is redacted as records are.
        const plain: AccessToken = {
            ...redactDeep(JSON.parse(JSON.stringify(token)) as AccessToken),
            hash: token.hash,
        };
        await (await this.kv()).put(`access/tokens/${word(token.id)}`, plain);
    }

    async list(): Promise<AccessToken[]> {
        const kv = await this.kv();
        const keys = await kv.list("access/tokens/");
        const tokens = await Promise.all(keys.map(async (k) => (await kv.get<AccessToken>(k))?.value));
        return tokens.filter((t): t is AccessToken => t !== undefined);
    }
}
