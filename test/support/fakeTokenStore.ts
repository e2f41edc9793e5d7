import type { AccessToken, TokenStore } from "../../engine/governance/accessTokens";

/** A store in memory, keeping every write as JSON (what would reach the backend). */
export class FakeTokenStore implements TokenStore {
    readonly tokens = new Map<string, AccessToken>();
    readonly writes: string[] = [];
    async list() {
        return [...this.tokens.values()];
    }
    async put(t: AccessToken) {
        this.writes.push(JSON.stringify(t));
        this.tokens.set(t.id, t);
    }
}
