/**
 * The errors every floor throws. Each carries the entity it is about, the field path and its cause, so a
 * message reads like `PromotionFlow "seq": steps[2].dependsOn: unknown environment "qa2"`; the CLI maps them
 * to exit codes (README, "Exit codes"): 1 release Failed or Terminated, 2 invalid input, 3 environment
 * problem (engine missing, repository unreachable), 4 waiting.
 */
export interface ErrorContext {
    /** `Kind "name"`, e.g. `Application "web-qa"`. */
    readonly entity?: string;
    /** A field path such as `spec.source.path`, or a file path inside a repository. */
    readonly path?: string;
    readonly cause?: unknown;
}

export const exitCodes = {
    ok: 0,
    failed: 1,
    invalidInput: 2,
    environment: 3,
    waiting: 4,
} as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

export abstract class PromotionError extends Error {
    abstract readonly exitCode: ExitCode;
    /** True when running the same thing again cannot succeed without a change of input. */
    abstract readonly terminal: boolean;
    readonly entity?: string;
    readonly path?: string;

    constructor(message: string, context: ErrorContext = {}) {
        super(message, context.cause !== undefined ? { cause: context.cause } : undefined);
        this.name = new.target.name;
        if (context.entity !== undefined) {
            this.entity = context.entity;
        }
        if (context.path !== undefined) {
            this.path = context.path;
        }
    }
}

/** The user's input is wrong (definitions, arguments, a missing path in a repository). Exit code 2. */
export class InvalidInputError extends PromotionError {
    readonly exitCode = exitCodes.invalidInput;
    readonly terminal = true;
}

/** The machine lacks something we need: the Pulumi engine, git, a reachable repository. Exit code 3. */
export class EnvironmentError extends PromotionError {
    readonly exitCode = exitCodes.environment;
    readonly terminal = false;
}

/** `Kind "name"`: how messages and error contexts name an entity. */
export function entityName(kind: string, name: string | undefined): string {
    return `${kind} ${JSON.stringify(name ?? "(unnamed)")}`;
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/**
 * The errors in a Pulumi command's output: each `error: ...` line with the lines that continue it (a multi-error
 * such as `error: 2 errors occurred:` lists its errors below it, indented further as `\t* ...`), as one line each:
 * `2 errors occurred: * first; * second`. Repeated errors once.
 */
export function engineErrors(output: string): string[] {
    const errors: string[] = [];
    let head: string | undefined;
    let indent = 0;
    let items: string[] = [];
    const close = () => {
        if (head !== undefined) {
            errors.push(items.length > 0 ? `${head} ${items.join("; ")}` : head);
        }
        head = undefined;
        items = [];
    };
    for (const line of output.split("\n")) {
        const trimmed = line.trim();
        const depth = line.length - line.trimStart().length;
        if (/^error:/i.test(trimmed)) {
            close();
            head = trimmed.replace(/^error:\s*/i, "");
            indent = depth;
        } else if (head !== undefined && depth > indent && trimmed !== "") {
            items.push(trimmed);
        } else {
            close();
        }
    }
    close();
    return [...new Set(errors)];
}
