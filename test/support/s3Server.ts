import type { ChildProcess } from "child_process";
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { defaultCacheDir } from "../../engine/pulumi/engineLocator";

/**
 * A throwaway S3-compatible server: versitygw (github.com/versity/versitygw, built from its Go module by
 * scripts/provision-versitygw.sh) on a loopback port, its posix backend in a temporary directory, one root
 * access key, one bucket made through the S3 API. `stop()` ends the process and removes the directory.
 */
export interface S3Server {
    /** `http://127.0.0.1:<port>`. */
    readonly endpoint: string;
    readonly port: number;
    readonly bucket: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    /** The directory whose sub-directories are the buckets (the posix backend's root). */
    readonly dataDir: string;
    /** The AWS variables a client (the store, `pulumi`) needs to reach this server. */
    readonly env: Readonly<Record<string, string>>;
    /** A Pulumi DIY backend URL for `bucket` (default: this server's bucket), optionally under a key prefix. */
    backendUrl(o?: { readonly bucket?: string; readonly prefix?: string }): string;
    /** Creates another bucket through the S3 API. */
    createBucket(name: string): Promise<void>;
    /** What the server printed, for failure messages. */
    log(): string;
    stop(): Promise<void>;
}

export const versitygwVersion = "v1.8.0";

/** The provisioned versitygw: PROMOTIONS_VERSITYGW, else the install's cache. */
export function versitygwPath(): string {
    return (
        process.env.PROMOTIONS_VERSITYGW ||
        path.join(defaultCacheDir(process.env), "versitygw", versitygwVersion, "versitygw")
    );
}

/** A loopback port nothing listens on (as the OS hands it out). */
export function freePort(): Promise<number> {
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

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

export async function startS3Server(bucket = "promotions"): Promise<S3Server> {
    const bin = versitygwPath();
    if (!fs.existsSync(bin)) {
        throw new Error(
            `versitygw ${versitygwVersion} is not installed at ${bin}: run 'bash scripts/install.sh' ` +
                `(or 'bash scripts/provision-versitygw.sh'), or set PROMOTIONS_VERSITYGW to its path`,
        );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promotions-s3-"));
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(dataDir);
    const port = await freePort();
    const region = "us-east-1";
    const accessKeyId = `test${randomBytes(6).toString("hex")}`;
    const secretAccessKey = randomBytes(20).toString("hex");
    let output = "";
    const child: ChildProcess = spawn(
        bin,
        ["--port", `127.0.0.1:${port}`, "--region", region, "--quiet", "posix", dataDir],
        {
            // The root account comes from the environment, so the secret is not on the process's command line.
            env: {
                PATH: process.env.PATH ?? "",
                ROOT_ACCESS_KEY: accessKeyId,
                ROOT_SECRET_KEY: secretAccessKey,
            },
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    const keep = (b: Buffer) => {
        output = (output + b.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited: number | null | undefined;
    const gone = new Promise<void>((resolve) =>
        child.once("exit", (code) => {
            exited = code;
            resolve();
        }),
    );
    const stop = async () => {
        if (exited === undefined) {
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
            await gone;
            clearTimeout(timer);
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        for (let i = 0; !(await canConnect(port)); i++) {
            if (exited !== undefined || i > 300) {
                throw new Error(
                    `versitygw did not start on 127.0.0.1:${port} (${exited === undefined ? "no answer" : `exit ${exited}`}):\n${output}`,
                );
            }
            await new Promise((r) => setTimeout(r, 50));
        }
    } catch (e) {
        await stop();
        throw e;
    }
    const endpoint = `http://127.0.0.1:${port}`;
    const createBucket = async (name: string) => {
        const { AwsClient } = await import("aws4fetch");
        const client = new AwsClient({ accessKeyId, secretAccessKey, service: "s3", region, retries: 0 });
        const res = await client.fetch(`${endpoint}/${name}`, { method: "PUT" });
        if (res.status !== 200) {
            throw new Error(`creating bucket ${name} on versitygw: ${res.status} ${await res.text()}`);
        }
    };
    try {
        await createBucket(bucket);
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        endpoint,
        port,
        bucket,
        region,
        accessKeyId,
        secretAccessKey,
        dataDir,
        env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: region },
        backendUrl: (o = {}) =>
            `s3://${o.bucket ?? bucket}${o.prefix ? `/${o.prefix}` : ""}?endpoint=${encodeURIComponent(endpoint)}` +
            `&s3ForcePathStyle=true&region=${region}`,
        createBucket,
        log: () => output,
        stop,
    };
}
