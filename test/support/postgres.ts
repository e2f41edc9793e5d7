import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";

/**
 * A throwaway PostgreSQL cluster on a loopback port, for tests of the `postgres://` state backend: `initdb`
 * into a temporary directory, `pg_ctl start`, one database, and `stop()` removes it all. The server binaries
 * come from PROMOTIONS_PG_BIN, the PATH, or the OS package's /usr/lib/postgresql/<version>/bin
 * (scripts/install.sh installs the package when they are missing). Run as root, the server runs as the
 * `postgres` user (PostgreSQL refuses to run as root).
 */
export interface PostgresServer {
    /** A backend URL for Pulumi (`postgres://…/<database>?sslmode=disable`). */
    readonly url: string;
    readonly port: number;
    /** Runs SQL on the database (through the `pg` client; no psql needed). */
    query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
    /** Creates another database, returning its backend URL. */
    createDatabase(name: string): Promise<string>;
    stop(): Promise<void>;
}

/** The directory holding initdb, pg_ctl and postgres, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
    const candidates = [
        process.env.PROMOTIONS_PG_BIN,
        ...(process.env.PATH ?? "").split(path.delimiter),
        ...installedVersions(),
    ].filter((d): d is string => Boolean(d));
    return candidates.find((d) =>
        ["initdb", "pg_ctl", "postgres"].every((b) => isExecutable(path.join(d, b))),
    );
}

function installedVersions(): string[] {
    try {
        return fs
            .readdirSync("/usr/lib/postgresql")
            .sort((a, b) => Number(b) - Number(a))
            .map((v) => path.join("/usr/lib/postgresql", v, "bin"));
    } catch {
        return [];
    }
}

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Who runs the server when this process is root: the package's `postgres` user, else `nobody`. */
function serverUser(): string {
    return spawnSync("id", ["-u", "postgres"]).status === 0 ? "postgres" : "nobody";
}

/** Runs a server binary, as {@link serverUser} when this process is root. */
function runAs(bin: string, args: string[]): void {
    const root = process.getuid?.() === 0;
    const [cmd, argv] = root ? ["runuser", ["-u", serverUser(), "--", bin, ...args]] : [bin, args];
    const r = spawnSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) {
        throw new Error(`${path.basename(bin)} ${args.join(" ")} failed: ${r.stderr || r.stdout || r.error}`);
    }
}

export async function startPostgres(database = "promotions"): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (bin === undefined) {
        throw new Error(
            "PostgreSQL's server is not installed: run 'bash scripts/install.sh' (as root it installs the OS " +
                "package 'postgresql'), or set PROMOTIONS_PG_BIN to the directory of initdb and pg_ctl",
        );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-pg-"));
    if (process.getuid?.() === 0) {
        execFileSync("chown", [serverUser(), dir]);
    }
    const data = path.join(dir, "data");
    const port = await freePort();
    runAs(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    const options = [
        `-p ${port}`,
        "-c listen_addresses=127.0.0.1",
        `-c unix_socket_directories=${dir}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
    ].join(" ");
    runAs(path.join(bin, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "start"]);
    const base = `postgres://postgres@127.0.0.1:${port}`;
    const query = async <T>(sql: string, params: unknown[] = [], db = database): Promise<T[]> => {
        const client = new Client({ connectionString: `${base}/${db}` });
        await client.connect();
        try {
            return (await client.query(sql, params)).rows as T[];
        } finally {
            await client.end();
        }
    };
    const createDatabase = async (name: string) => {
        await query(`CREATE DATABASE ${name}`, [], "postgres");
        return `${base}/${name}?sslmode=disable`;
    };
    const url = await createDatabase(database);
    return {
        url,
        port,
        query: (sql, params) => query(sql, params),
        createDatabase,
        stop: () => {
            try {
                runAs(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            return Promise.resolve();
        },
    };
}
