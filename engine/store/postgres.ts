import { randomBytes } from "crypto";
import type { Pool } from "pg";
import type { Condition, KvStore, Versioned } from "./kv";
import { checkKey } from "./kv";

/** The table the store keeps beside Pulumi's own (`pulumi_state`) in the backend's database. */
export const storeTable = "promotions_store";

/**
 * The coordination store of a `postgres://` backend: one table in the same database as Pulumi's state,
 * `promotions_store(key, version, value)`. A conditional write is one statement (`UPDATE … WHERE version = $v`,
 * `INSERT … ON CONFLICT DO NOTHING`), atomic in the server; keys sort in byte order (`COLLATE "C"`), so a
 * prefix listing is an index range. Versions are random for each write (a counter would start again at a key
 * deleted and made again, and a writer holding the old version would then win a compare-and-set).
 */
export class PostgresKvStore implements KvStore {
    readonly where: string;
    private pool?: Promise<Pool>;

    constructor(private readonly backendUrl: string) {
        const url = new URL(backendUrl);
        this.where = `table ${storeTable} of database ${decodeURIComponent(url.pathname.slice(1))} on ${url.host}`;
    }

    private connect(): Promise<Pool> {
        this.pool ??= (async () => {
            const url = new URL(this.backendUrl);
            url.searchParams.delete("table");
            // Loaded only for this backend (not needed to start the CLI).
            const pg = await import("pg");
            const pool = new pg.Pool({
                connectionString: url.toString(),
                max: 4,
                idleTimeoutMillis: 1000,
                connectionTimeoutMillis: 10_000,
                allowExitOnIdle: true,
            });
            pool.on("error", () => undefined);
            await pool
                .query(
                    `CREATE TABLE IF NOT EXISTS ${storeTable} (
                        key text COLLATE "C" PRIMARY KEY,
                        version text NOT NULL,
                        value jsonb NOT NULL
                    )`,
                )
                .catch((e: { code?: string }) => {
                    // Two processes creating it at once: one of them meets the other's new table or type.
                    if (e.code !== "23505" && e.code !== "42P07") {
                        throw e;
                    }
                });
            return pool;
        })();
        this.pool.catch(() => (this.pool = undefined));
        return this.pool;
    }

    async get<T = unknown>(key: string): Promise<Versioned<T> | undefined> {
        checkKey(key);
        const { rows } = await (
            await this.connect()
        ).query<{ version: string; value: T }>(`SELECT version, value FROM ${storeTable} WHERE key = $1`, [
            key,
        ]);
        return rows[0] && { value: rows[0].value, version: String(rows[0].version) };
    }

    async put(key: string, value: unknown, condition?: Condition): Promise<string | undefined> {
        checkKey(key);
        const pool = await this.connect();
        const json = JSON.stringify(value);
        const version = randomBytes(12).toString("base64url");
        const sql =
            condition && "ifAbsent" in condition
                ? {
                      text: `INSERT INTO ${storeTable} (key, version, value) VALUES ($1, $3, $2)
                             ON CONFLICT (key) DO NOTHING RETURNING version`,
                      values: [key, json, version],
                  }
                : condition && "ifVersion" in condition
                  ? {
                        text: `UPDATE ${storeTable} SET version = $3, value = $2
                               WHERE key = $1 AND version = $4 RETURNING version`,
                        values: [key, json, version, condition.ifVersion],
                    }
                  : {
                        text: `INSERT INTO ${storeTable} (key, version, value) VALUES ($1, $3, $2)
                               ON CONFLICT (key) DO UPDATE SET version = $3, value = $2
                               RETURNING version`,
                        values: [key, json, version],
                    };
        const { rows } = await pool.query<{ version: string }>(sql.text, sql.values);
        return rows[0] ? String(rows[0].version) : undefined;
    }

    async delete(key: string, ifVersion?: string): Promise<boolean> {
        checkKey(key);
        const pool = await this.connect();
        const { rowCount } =
            ifVersion === undefined
                ? await pool.query(`DELETE FROM ${storeTable} WHERE key = $1`, [key])
                : await pool.query(`DELETE FROM ${storeTable} WHERE key = $1 AND version = $2`, [
                      key,
                      ifVersion,
                  ]);
        return (rowCount ?? 0) > 0;
    }

    async list(
        prefix: string,
        o: { readonly after?: string; readonly limit?: number } = {},
    ): Promise<string[]> {
        const pool = await this.connect();
        // The keys from the prefix up to (not including) the prefix with its last character's successor.
        const end = prefix
            ? prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)
            : "";
        const from = o.after !== undefined && o.after >= prefix ? o.after : undefined;
        const params: unknown[] = [from ?? prefix];
        let where = from !== undefined ? "key > $1" : "key >= $1";
        if (end) {
            params.push(end);
            where += ` AND key < $${params.length}`;
        }
        let limit = "";
        if (o.limit !== undefined) {
            params.push(o.limit);
            limit = ` LIMIT $${params.length}`;
        }
        const { rows } = await pool.query<{ key: string }>(
            `SELECT key FROM ${storeTable} WHERE ${where} ORDER BY key${limit}`,
            params,
        );
        return rows.map((r) => r.key);
    }

    async close(): Promise<void> {
        const pool = this.pool;
        this.pool = undefined;
        await (await pool?.catch(() => undefined))?.end();
    }
}
