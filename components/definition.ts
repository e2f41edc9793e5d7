import type { z } from "zod";
import type { Issue } from "./issues";
import { entityName, zodIssues } from "./issues";

/** Validates one entity's definition against its schema, returning the parsed value or the issues. */
export function parseDefinition<S extends z.ZodType>(
    kind: string,
    schema: S,
    input: unknown,
    origin?: string,
): { value?: z.infer<S>; issues: Issue[] } {
    const name = (input as { name?: unknown } | undefined)?.name;
    const result = schema.safeParse(input);
    if (result.success) {
        return { value: result.data, issues: [] };
    }
    return {
        issues: zodIssues(
            entityName(kind, typeof name === "string" ? name : undefined),
            result.error,
            origin,
            "",
            input,
        ),
    };
}
