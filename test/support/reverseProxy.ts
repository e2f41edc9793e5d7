import * as http from "http";
import type { AddressInfo } from "net";

/**
 * A reverse proxy on a loopback port that serves an upstream under a path prefix, as an Ingress (or nginx with
 * `location /promotions/ { proxy_pass http://upstream; }`) does: requests under the prefix are forwarded with
 * their path unchanged, the Host header kept and X-Forwarded-* added; anything else is answered 404 by the
 * proxy itself, so a console link or fetch that forgets the prefix fails. Responses are streamed (the event
 * stream passes through as it is written).
 */
export class ReverseProxy {
    /** Every request target the proxy received, in order (with the prefix), and what it did with it. */
    readonly requests: { readonly method: string; readonly url: string; readonly forwarded: boolean }[] = [];
    private server?: http.Server;

    constructor(
        private readonly upstream: URL,
        private readonly prefix: string,
    ) {}

    /** Listens on 127.0.0.1; returns the proxy's origin, e.g. `http://127.0.0.1:41234`. */
    async listen(): Promise<string> {
        const server = http.createServer((req, res) => this.forward(req, res));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        this.server = server;
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }

    private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = req.url ?? "/";
        const path = url.replace(/[?#].*$/, "");
        const under = path === this.prefix || path.startsWith(`${this.prefix}/`);
        this.requests.push({ method: req.method ?? "GET", url, forwarded: under });
        if (!under) {
            req.resume();
            res.writeHead(404, { "content-type": "text/plain" });
            res.end(`the proxy serves only ${this.prefix}/\n`);
            return;
        }
        const upstream = http.request(
            {
                host: this.upstream.hostname,
                port: this.upstream.port,
                method: req.method,
                path: url,
                headers: {
                    ...req.headers,
                    "x-forwarded-for": req.socket.remoteAddress ?? "",
                    "x-forwarded-proto": "http",
                    "x-forwarded-host": req.headers.host ?? "",
                    "x-forwarded-prefix": this.prefix,
                },
            },
            (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
            },
        );
        upstream.on("error", (e) => {
            if (!res.headersSent) {
                res.writeHead(502, { "content-type": "text/plain" });
            }
            res.end(`upstream: ${e.message}\n`);
        });
        req.pipe(upstream);
        // The browser went away (a page navigated, an event stream closed): so does the upstream request.
        res.on("close", () => upstream.destroy());
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
