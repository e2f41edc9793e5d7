import * as http from "http";
import type { AddressInfo } from "net";

/** What the stand-in does with a workflow submitted from a template. */
export type Outcome = "Succeeded" | "Failed" | "Error" | "Running";

export interface SubmittedWorkflow {
    readonly name: string;
    readonly template: string;
    readonly parameters: Record<string, string>;
    readonly labels: Record<string, string>;
    phase: string;
    message?: string;
    polls: number;
    terminated: boolean;
}

/**
 * A parameter a WorkflowTemplate declares in `spec.arguments.parameters`: a name alone (`- name: X`, no
 * value: every submission must supply it), or with the default `value` it takes when not supplied.
 */
export type DeclaredParameter = string | { readonly name: string; readonly value?: string };

/**
 * A stand-in Argo Server: the REST subset the runner calls (submit from a WorkflowTemplate, get, terminate),
 * in Argo's shapes, with bearer-token auth. Workflows go Pending → Running → the outcome the test chose for
 * their template (after `pollsToFinish` polls); "Running" never finishes until terminated. Submissions
 * naming unknown templates or undeclared parameters, or lacking a declared parameter without a default value,
 * are refused as the real server does.
 */
export class ArgoServerStandIn {
    readonly workflows: SubmittedWorkflow[] = [];
    readonly outcomes = new Map<string, Outcome>();
    private counter = 0;

    private constructor(
        private readonly server: http.Server,
        readonly token: string,
        readonly namespace: string,
        /** Template name to its declared parameters. */
        readonly templates: Map<string, readonly DeclaredParameter[]>,
        readonly pollsToFinish: number,
    ) {}

    static async start(opts: {
        token: string;
        namespace?: string;
        templates: Record<string, readonly DeclaredParameter[]>;
        pollsToFinish?: number;
    }): Promise<ArgoServerStandIn> {
        const server = http.createServer();
        const self = new ArgoServerStandIn(
            server,
            opts.token,
            opts.namespace ?? "argo",
            new Map(Object.entries(opts.templates)),
            opts.pollsToFinish ?? 2,
        );
        server.on("request", (req, res) => void self.handle(req, res));
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return self;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    stop(): Promise<void> {
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private workflowJson(w: SubmittedWorkflow) {
        return {
            metadata: {
                name: w.name,
                namespace: this.namespace,
                uid: `uid-${w.name}`,
                labels: { ...w.labels, "workflows.argoproj.io/phase": w.phase },
            },
            spec: {
                workflowTemplateRef: { name: w.template },
                arguments: {
                    parameters: Object.entries(w.parameters).map(([name, value]) => ({ name, value })),
                },
            },
            status: {
                phase: w.phase,
                ...(w.message ? { message: w.message } : {}),
                ...(w.phase === "Succeeded"
                    ? { outputs: { parameters: [{ name: "result", value: "ok" }] } }
                    : {}),
            },
        };
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const send = (status: number, body: unknown) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${this.token}`) {
            return send(401, { code: 16, message: "token not valid" });
        }
        let raw = "";
        for await (const chunk of req) {
            raw += String(chunk);
        }
        const url = new URL(req.url ?? "/", "http://localhost");
        const m = /^\/api\/v1\/workflows\/([^/]+)(?:\/([^/]+))?(?:\/(terminate))?$/.exec(url.pathname);
        if (!m || decodeURIComponent(m[1]) !== this.namespace) {
            return send(404, { code: 5, message: `not found: ${url.pathname}` });
        }
        if (req.method === "POST" && m[2] === "submit") {
            const body = JSON.parse(raw) as {
                resourceKind: string;
                resourceName: string;
                submitOptions?: { parameters?: string[]; labels?: string; generateName?: string };
            };
            const declared = this.templates.get(body.resourceName);
            if (body.resourceKind !== "WorkflowTemplate" || !declared) {
                return send(404, {
                    code: 5,
                    message: `workflowtemplates.argoproj.io "${body.resourceName}" not found`,
                });
            }
            const params = declared.map((d) => (typeof d === "string" ? { name: d } : d));
            const parameters: Record<string, string> = {};
            for (const p of body.submitOptions?.parameters ?? []) {
                const i = p.indexOf("=");
                const key = p.slice(0, i);
                if (!params.some((d) => d.name === key)) {
                    return send(400, {
                        code: 3,
                        message: `spec.arguments.${key} was not supplied by the template`,
                    });
                }
                parameters[key] = p.slice(i + 1);
            }
            for (const d of params) {
                if (parameters[d.name] === undefined) {
                    if (d.value === undefined) {
                        return send(400, {
                            code: 3,
                            message: `spec.arguments.${d.name}.value is required`,
                        });
                    }
                    parameters[d.name] = d.value;
                }
            }
            const labels = Object.fromEntries(
                (body.submitOptions?.labels ?? "")
                    .split(",")
                    .filter(Boolean)
                    .map((kv) => kv.split("=") as [string, string]),
            );
            const w: SubmittedWorkflow = {
                name: `${body.submitOptions?.generateName ?? `${body.resourceName}-`}${(++this.counter).toString(36).padStart(5, "x")}`,
                template: body.resourceName,
                parameters,
                labels,
                phase: "Pending",
                polls: 0,
                terminated: false,
            };
            this.workflows.push(w);
            return send(200, this.workflowJson(w));
        }
        const w = this.workflows.find((x) => x.name === decodeURIComponent(m[2] ?? ""));
        if (!w) {
            return send(404, { code: 5, message: `workflows.argoproj.io "${m[2]}" not found` });
        }
        if (req.method === "PUT" && m[3] === "terminate") {
            w.terminated = true;
            w.phase = "Failed";
            w.message = "Stopped with strategy 'Terminate'";
            return send(200, this.workflowJson(w));
        }
        if (req.method === "GET" && !m[3]) {
            if (!w.terminated && !["Succeeded", "Failed", "Error"].includes(w.phase)) {
                w.polls++;
                const outcome = this.outcomes.get(w.template) ?? "Succeeded";
                if (w.polls >= this.pollsToFinish && outcome !== "Running") {
                    w.phase = outcome;
                    if (outcome !== "Succeeded") {
                        w.message = "child 'main' failed";
                    }
                } else {
                    w.phase = "Running";
                }
            }
            return send(200, this.workflowJson(w));
        }
        return send(405, { code: 12, message: "method not allowed" });
    }
}
