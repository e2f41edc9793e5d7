import { execFileSync, spawn } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";

/**
 * Git's smart HTTP protocol over real bare repositories (git http-backend as CGI), with token auth the way
 * GitHub does it for git: HTTP Basic with the token as password (any user name). Every request's
 * Authorization header is recorded so tests can assert what clients sent.
 */
export class GitHttpServer {
    private constructor(
        readonly requests: { method: string; url: string; authorized: boolean }[],
        private readonly server: http.Server,
        readonly root: string,
        readonly token: string,
    ) {}

    static async start(root: string, token: string): Promise<GitHttpServer> {
        const requests: { method: string; url: string; authorized: boolean }[] = [];
        const server = http.createServer(gitHttpHandler(root, token, requests));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return new GitHttpServer(requests, server, root, token);
    }

    get host(): string {
        return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** The http URL of a repository under the root (e.g. `gitops.git`). */
    url(repo: string): string {
        return `http://${this.host}/${repo}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

/**
 * The request handler behind {@link GitHttpServer}: git's smart HTTP over the bare repositories under `root`
 * (git http-backend as CGI), refusing requests without the token. Records each request in `requests`.
 */
export function gitHttpHandler(
    root: string,
    token: string,
    requests: { method: string; url: string; authorized: boolean }[],
): http.RequestListener {
    const backend = path.join(
        execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim(),
        "git-http-backend",
    );
    return (req, res) => {
        const auth = req.headers.authorization ?? "";
        const m = /^Basic (.+)$/.exec(auth);
        const password = m ? Buffer.from(m[1], "base64").toString("utf8").split(":").slice(1).join(":") : "";
        const authorized = password === token;
        requests.push({ method: req.method ?? "", url: req.url ?? "", authorized });
        if (!authorized) {
            res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' });
            res.end("authentication required\n");
            return;
        }
        const url = new URL(req.url ?? "/", "http://localhost");
        const cgi = spawn(backend, [], {
            env: {
                ...process.env,
                GIT_PROJECT_ROOT: root,
                GIT_HTTP_EXPORT_ALL: "1",
                GIT_HTTP_RECEIVE_PACK: "1",
                PATH_INFO: decodeURIComponent(url.pathname),
                QUERY_STRING: url.search.slice(1),
                REQUEST_METHOD: req.method ?? "GET",
                CONTENT_TYPE: req.headers["content-type"] ?? "",
                HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
                REMOTE_USER: "x-access-token",
                REMOTE_ADDR: "127.0.0.1",
            },
        });
        req.pipe(cgi.stdin);
        const chunks: Buffer[] = [];
        cgi.stdout.on("data", (d: Buffer) => chunks.push(d));
        cgi.on("close", () => {
            const out = Buffer.concat(chunks);
            const split = out.indexOf("\r\n\r\n");
            const headerEnd = split >= 0 ? split : out.indexOf("\n\n");
            const sep = split >= 0 ? 4 : 2;
            const headers: Record<string, string> = {};
            let status = 200;
            for (const line of out.subarray(0, headerEnd).toString("utf8").split(/\r?\n/)) {
                const i = line.indexOf(":");
                if (i > 0) {
                    const k = line.slice(0, i).trim();
                    const v = line.slice(i + 1).trim();
                    if (k.toLowerCase() === "status") {
                        status = Number(v.split(" ")[0]);
                    } else {
                        headers[k] = v;
                    }
                }
            }
            res.writeHead(status, headers);
            res.end(out.subarray(headerEnd + sep));
        });
    };
}
