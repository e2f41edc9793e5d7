import { finalReleaseStatuses } from "../../model/status";
import { tokens } from "../../model/tokens";
import type { AccessToken } from "../governance/accessTokens";
import type { Hold } from "../governance/holds";
import type { ReleaseRecord } from "../record/releaseRecord";
import { newestFirstKey, word } from "./releaseStore";
import type { LegacyStacks } from "../pulumi/workspace";
import type { KvStore } from "./kv";

/**
 * Versions before the coordination store kept release records, holds and watch cursors as Pulumi stacks of
 * the `promotions-releases` project (one per product, plus archive pages `<product>.archive-…`), and API
 * tokens in `promotions-access/access`. Each is read once, on first use, and copied into the store; the old
 * stacks are left as they were (`pulumi stack rm` removes them once you no longer want them).
 */
export const legacyRecordsProject = "promotions-releases";
export const legacyAccessProject = "promotions-access";
export const legacyAccessStack = "access";

/** What a migration copied. */
export interface Migrated {
    readonly stacks: readonly string[];
    readonly records: number;
    readonly holds: number;
    readonly cursors: number;
    readonly tokens: number;
}

const done = (scope: string) => `meta/migrated/${scope}`;

/**
 * Copies a product's records, holds and cursors from its old stacks into the store, once (a marker says it
 * was done; a document already in the store is never replaced: it is newer). Undefined when it had been done.
 */
export async function migrateProduct(
    kv: KvStore,
    product: string,
    legacy: LegacyStacks,
): Promise<Migrated | undefined> {
    const marker = done(`releases.${word(product)}`);
    if (await kv.get(marker)) {
        return undefined;
    }
    const names = (await legacy.names(legacyRecordsProject)).filter(
        (n) => n === product || n.startsWith(`${product}.archive-`),
    );
    const base = `releases/${word(product)}`;
    let records = 0;
    let holds = 0;
    let cursors = 0;
    for (const name of names) {
        for (const r of (await legacy.resources(legacyRecordsProject, name)) ?? []) {
            const out = r.outputs ?? {};
            if (r.type === "promotions:index:ReleaseRecord" && out.record) {
                const record = out.record as ReleaseRecord;
                if (!finalReleaseStatuses.has(record.status)) {
                    await kv.put(
                        `${base}/live/${word(record.id)}`,
                        { createdAt: record.createdAt },
                        { ifAbsent: true },
                    );
                }
                records += (await kv.put(`${base}/r/${newestFirstKey(record.id)}`, record, {
                    ifAbsent: true,
                }))
                    ? 1
                    : 0;
            } else if (r.type === tokens.Hold && out.hold) {
                const hold = out.hold as Hold;
                holds += (await kv.put(`${base}/holds/${word(hold.environment)}`, hold, { ifAbsent: true }))
                    ? 1
                    : 0;
            } else if (r.type === "promotions:index:WatchCursor" && typeof out.sha === "string") {
                const application = r.urn.slice(r.urn.lastIndexOf("::cursor.") + "::cursor.".length);
                cursors += (await kv.put(
                    `${base}/cursors/${word(application)}`,
                    { sha: out.sha },
                    { ifAbsent: true },
                ))
                    ? 1
                    : 0;
            }
        }
    }
    const migrated: Migrated = { stacks: names, records, holds, cursors, tokens: 0 };
    await mark(kv, marker, migrated, legacy);
    return migrated;
}

/** Copies the API tokens from the old `promotions-access/access` stack, once. */
export async function migrateTokens(kv: KvStore, legacy: LegacyStacks): Promise<Migrated | undefined> {
    const marker = done("access");
    if (await kv.get(marker)) {
        return undefined;
    }
    const found = (await legacy.names(legacyAccessProject)).includes(legacyAccessStack);
    let count = 0;
    for (const r of (found ? await legacy.resources(legacyAccessProject, legacyAccessStack) : undefined) ??
        []) {
        const token = r.outputs?.token as AccessToken | undefined;
        if (r.type === tokens.AccessToken && token) {
            count += (await kv.put(`access/tokens/${word(token.id)}`, token, { ifAbsent: true })) ? 1 : 0;
        }
    }
    const migrated: Migrated = {
        stacks: found ? [legacyAccessStack] : [],
        records: 0,
        holds: 0,
        cursors: 0,
        tokens: count,
    };
    await mark(kv, marker, migrated, legacy);
    return migrated;
}

/**
 * Notes that a scope was copied, so it is not looked at again; where looking is cheap and there was nothing,
 * nothing is written (a command that only reads writes nothing).
 */
async function mark(kv: KvStore, marker: string, migrated: Migrated, legacy: LegacyStacks): Promise<void> {
    if (migrated.stacks.length > 0 || !legacy.direct) {
        await kv.put(marker, { at: new Date().toISOString(), ...migrated });
    }
}

/** A migration as one line for the log, or undefined when nothing was copied. */
export function migrationLine(what: string, m: Migrated | undefined): string | undefined {
    if (!m || m.stacks.length === 0) {
        return undefined;
    }
    const counts = [
        [m.records, "release record(s)"],
        [m.holds, "hold(s)"],
        [m.cursors, "watch cursor(s)"],
        [m.tokens, "token(s)"],
    ]
        .filter(([n]) => n !== 0)
        .map(([n, what]) => `${n} ${what}`)
        .join(", ");
    return `${what}: copied ${counts || "nothing"} from the stack(s) ${m.stacks.join(", ")} into the release store; those stacks are left as they were ('pulumi stack rm' removes them once you no longer need them)`;
}
