import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../../model/duration";
import { EnvironmentError } from "../../model/errors";
import { redact, secrets } from "../../model/redact";
import type { WorkflowRunner, WorkflowRunnerEntry, WorkflowRunResult, WorkflowRunStatus } from "./runner";
import { workflowTimeoutMs } from "./runner";
import type { ArgoServerConfig } from "./services";

export type { ArgoServerConfig };

/** What to set when no Argo Server is configured. */
const noArgoServer =
    "no Argo Server is configured: " +
    "set PROMOTIONS_ARGO_URL (and PROMOTIONS_ARGO_TOKEN, PROMOTIONS_ARGO_NAMESPACE)";

interface ArgoWorkflow {
    metadata: { name: string; namespace: string; uid?: string };
    status?: {
        phase?: string;
        message?: string;
        outputs?: { parameters?: { name: string; value?: string }[] };
    };
}

/** Kubernetes label values: at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends. */
export function labelValue(v: string): string {
    const cleaned = v.replace(/[^A-Za-z0-9-_.]/g, "-").slice(0, 63);
    return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

class ArgoClient {
    constructor(private readonly config: ArgoServerConfig) {}

    private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
        const res = await fetch(`${this.config.url.replace(/\/$/, "")}${path}`, {
            method,
            headers: {
                "Content-Type": "application/json",
                Accept: "application/json",
                ...(this.config.token ? { Authorization: `Bearer ${this.config.token}` } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        if (!res.ok) {
            let message = text;
            try {
                message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
                // not JSON
            }
            throw new EnvironmentError(
                redact(`Argo Server ${method} ${path}: ${res.status} ${message}`.slice(0, 500)),
            );
        }
        return JSON.parse(text) as T;
    }

    submit(
        template: string,
        parameters: Record<string, string>,
        labels: Record<string, string>,
    ): Promise<ArgoWorkflow> {
        const ns = encodeURIComponent(this.config.namespace);
        return this.call("POST", `/api/v1/workflows/${ns}/submit`, {
            namespace: this.config.namespace,
            resourceKind: "WorkflowTemplate",
            resourceName: template,
            submitOptions: {
                generateName: `${template}-`,
                parameters: Object.entries(parameters).map(([k, v]) => `${k}=${v}`),
                labels: Object.entries(labels)
                    .map(([k, v]) => `${k}=${labelValue(v)}`)
                    .join(","),
            },
        });
    }

    get(name: string): Promise<ArgoWorkflow> {
        return this.call(
            "GET",
            `/api/v1/workflows/${encodeURIComponent(this.config.namespace)}/${encodeURIComponent(name)}`,
        );
    }

    terminate(name: string): Promise<ArgoWorkflow> {
        const ns = encodeURIComponent(this.config.namespace);
        return this.call("PUT", `/api/v1/workflows/${ns}/${encodeURIComponent(name)}/terminate`, {
            name,
            namespace: this.config.namespace,
        });
    }
}

const finalPhases = new Set(["Succeeded", "Failed", "Error"]);

/**
 * Argo Workflows through the Argo Server REST API: submits a Workflow from the WorkflowTemplate (parameters
 * as `-p` values, restricted to those the template declares when it declares any; labels `product,
 * environment, release, flow, application` under `promotions/`), follows it to a final phase, and terminates
 * it when the release is terminated or the workflow's timeout passes. The log is a link to the Argo UI.
 */
export function argoRunner(config: ArgoServerConfig | undefined): WorkflowRunner<"argo"> {
    secrets.add(config?.token); // also when given by a program rather than PROMOTIONS_ARGO_TOKEN
    return {
        kind: "argo",
        async run(req): Promise<WorkflowRunResult> {
            const wf = req.workflow;
            const startedAt = new Date().toISOString();
            if (!config) {
                return {
                    workflow: wf.name,
                    status: "Error",
                    startedAt,
                    finishedAt: startedAt,
                    outputs: {},
                    message: noArgoServer,
                };
            }
            if (req.signal?.aborted) {
                return {
                    workflow: wf.name,
                    status: "Terminated",
                    startedAt,
                    finishedAt: startedAt,
                    outputs: {},
                    message: "terminated before it started",
                };
            }
            const client = new ArgoClient(config);
            const declared = new Set(wf.parameters);
            const parameters = Object.fromEntries(
                Object.entries(req.parameters).filter(([k]) => declared.size === 0 || declared.has(k)),
            );
            const labels = Object.fromEntries(
                Object.entries(req.labels).map(([k, v]) => [`promotions/${k}`, v]),
            );
            const submitted = await client.submit(wf.templateName ?? wf.name, parameters, labels);
            const name = submitted.metadata.name;
            const link = `${config.url.replace(/\/$/, "")}/workflows/${config.namespace}/${name}`;
            const timeoutMs = workflowTimeoutMs(wf);
            const deadline = Date.now() + timeoutMs;
            let current = submitted;
            let stopped: "terminated" | "timeout" | undefined;
            while (!finalPhases.has(current.status?.phase ?? "")) {
                if (req.signal?.aborted || Date.now() >= deadline) {
                    stopped = req.signal?.aborted ? "terminated" : "timeout";
                    current = await client.terminate(name).catch(() => current);
                    break;
                }
                try {
                    const wait = Math.min(config.pollIntervalMs ?? 2000, deadline - Date.now());
                    await sleep(Math.max(0, wait), undefined, { signal: req.signal });
                } catch {
                    continue; // aborted: terminate it at the top of the loop
                }
                current = await client.get(name);
            }
            const phase = current.status?.phase ?? "Unknown";
            const status: WorkflowRunStatus =
                stopped === "terminated" ? "Terminated" : stopped ? "Failed" : (phase as WorkflowRunStatus);
            const outputs = Object.fromEntries(
                (current.status?.outputs?.parameters ?? []).map((p) => [p.name, p.value ?? ""]),
            );
            return {
                workflow: wf.name,
                status: finalPhases.has(status) || status === "Terminated" ? status : "Error",
                runId: name,
                startedAt,
                finishedAt: new Date().toISOString(),
                log: redact(link),
                outputs,
                ...(status !== "Succeeded"
                    ? {
                          message: redact(
                              stopped === "timeout"
                                  ? `timed out after ${formatDuration(timeoutMs)}`
                                  : stopped === "terminated"
                                    ? "terminated"
                                    : (current.status?.message ?? phase),
                          ),
                      }
                    : {}),
            };
        },
    };
}

export const argoRunnerEntry: WorkflowRunnerEntry<"argo"> = {
    kind: "argo",
    requires: [{ service: "argo", missing: noArgoServer }],
    create: (services) => argoRunner(services.argo),
};
