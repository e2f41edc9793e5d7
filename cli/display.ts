import type { EnvironmentStatus, ReleaseStatus, WorkflowRunStatus } from "../model/status";
import { toneOf } from "../model/status";
import type { Style } from "./context";

/** Control characters (C0, DEL, C1), line and paragraph separators and bidi overrides: never printed raw. */
const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Text from outside (a commit subject, a log line, an error) as one safe line: control characters escaped. */
export function displayText(s: string): string {
    return s.replace(unsafe, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A value for the terminal (a version, a promoted value): single-line, with ANSI escapes and newlines shown
 * escaped, never raw. Strings as they are, anything else as JSON, nothing as `(none)`.
 */
export function displayValue(v: unknown): string {
    if (v === null || v === undefined) {
        return "(none)";
    }
    return displayText(typeof v === "string" ? v : (JSON.stringify(v) ?? String(v)));
}

/** A status in its tone's colour (model/status.ts `toneOf`): good green, bad red, busy and waiting yellow. */
export function paintStatus(
    style: Style,
    status: ReleaseStatus | EnvironmentStatus | WorkflowRunStatus,
): string {
    const shown = displayText(status);
    switch (toneOf(status)) {
        case "good":
            return style.green(shown);
        case "bad":
            return style.red(shown);
        case "busy":
        case "waiting":
            return style.yellow(shown);
        default:
            return style.dim(shown);
    }
}
