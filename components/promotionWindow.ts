import { Cron } from "croner";
import { z } from "zod";
import { durationSchema, nameSchema } from "./common";

/** Why a cron expression is refused (5 fields: minute hour day-of-month month day-of-week), or undefined. */
export function cronProblem(schedule: string, timeZone?: string): string | undefined {
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) {
        return `has ${fields.length} field(s): give 5 (minute hour day-of-month month day-of-week), e.g. "0 22 * * 5"`;
    }
    try {
        new Cron(schedule, { ...(timeZone ? { timezone: timeZone } : {}), paused: true });
    } catch (e) {
        return `is not a valid cron expression (${e instanceof Error ? e.message : String(e)}): give 5 fields, e.g. "0 22 * * 5"`;
    }
    return undefined;
}

/** Is this an IANA time zone name this runtime knows (`Europe/Berlin`, `UTC`)? */
export function knownTimeZone(timeZone: string): boolean {
    try {
        new Intl.DateTimeFormat("en-US", { timeZone });
        return true;
    } catch {
        return false;
    }
}

/** An ISO time with its offset (`2026-12-24T00:00:00Z`, `2026-12-24T00:00:00+01:00`). */
const isoWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const names = z.array(z.string().min(1)).optional();

export const promotionWindowDefinitionSchema = z
    .strictObject({
        name: nameSchema,
        /** `deny`: no promotion while the window is open (a freeze). `allow`: promotions only while it is open. */
        mode: z.enum(["deny", "allow"]),
        /** When the window opens, as a 5-field cron expression in `timeZone` (with `duration`). */
        schedule: z.string().min(1).optional(),
        /** How long the window stays open each time `schedule` fires (`2h`, `30m`). */
        duration: durationSchema.optional(),
        /** A one-off window instead of a schedule: ISO times with an offset. */
        start: z.string().optional(),
        end: z.string().optional(),
        /** The IANA time zone `schedule` is read in (default UTC). */
        timeZone: z.string().min(1).default("UTC"),
        /**
         * Which environments it covers: every given criterion must match (`names: ["*"]` covers every
         * environment). A window with no selector at all is refused.
         */
        environments: z
            .strictObject({
                names,
                kinds: z.array(z.enum(["production", "non-production"])).optional(),
                tags: names,
            })
            .optional(),
        /** Which products it covers (`names: ["*"]`: every product). */
        products: z.strictObject({ names, tags: names }).optional(),
        /** Outside the allowed time: `wait` (default, the release is Suspended until it opens) or `fail`. */
        onClosed: z.enum(["wait", "fail"]).default("wait"),
    })
    .superRefine((w, ctx) => {
        const issue = (path: string, message: string) =>
            ctx.addIssue({ code: "custom", path: [path], message });
        if (!knownTimeZone(w.timeZone)) {
            issue(
                "timeZone",
                `${JSON.stringify(w.timeZone)} is not a known IANA time zone: use a name such as "UTC", "Europe/Berlin" or "America/New_York"`,
            );
        }
        if (w.schedule !== undefined) {
            const problem = cronProblem(w.schedule, knownTimeZone(w.timeZone) ? w.timeZone : undefined);
            if (problem) {
                issue("schedule", `${JSON.stringify(w.schedule)} ${problem}`);
            }
            if (w.duration === undefined) {
                issue("duration", "a schedule needs a duration: how long the window stays open (e.g. 2h)");
            }
            if (w.start !== undefined || w.end !== undefined) {
                issue("schedule", "give either schedule with duration, or start and end, not both");
            }
        } else if (w.start === undefined || w.end === undefined) {
            issue(
                w.start === undefined ? "start" : "end",
                "required: give schedule (cron) with duration, or start and end (ISO times with an offset)",
            );
        }
        for (const field of ["start", "end"] as const) {
            const v = w[field];
            if (v !== undefined && (!isoWithOffset.test(v) || Number.isNaN(Date.parse(v)))) {
                issue(
                    field,
                    `${JSON.stringify(v)} is not an ISO time with an offset: write e.g. "2026-12-24T00:00:00Z" or "2026-12-24T00:00:00+01:00"`,
                );
            }
        }
        if (w.start && w.end && Date.parse(w.end) <= Date.parse(w.start)) {
            issue("end", "must be after start");
        }
        const selectors = [
            w.environments?.names,
            w.environments?.kinds,
            w.environments?.tags,
            w.products?.names,
            w.products?.tags,
        ];
        if (selectors.every((s) => s === undefined || s.length === 0)) {
            ctx.addIssue({
                code: "custom",
                path: ["environments"],
                message:
                    'a window with no selectors would cover every environment of every product: select some (environments.names, kinds or tags; products.names or tags), or write environments: { names: ["*"] } to cover everything on purpose',
            });
        }
    });
export type PromotionWindowDefinition = z.infer<typeof promotionWindowDefinitionSchema>;
export type PromotionWindowInput = z.input<typeof promotionWindowDefinitionSchema>;
