import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { parseDefinition } from "./definition";
import { InvalidDefinitionsError } from "./issues";

function hasOutputs(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(hasOutputs);
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).some(hasOutputs);
    }
    return false;
}

/**
 * A component's definition as an Output. Args without Outputs are validated synchronously, so a bad field
 * fails `pulumi up` at the constructor with every problem listed; args with Outputs are validated once known.
 */
export function definitionOutput<S extends z.ZodType>(
    kind: string,
    schema: S,
    name: string,
    args: object,
): pulumi.Output<z.infer<S>> {
    const check = (plain: object): z.infer<S> => {
        const { value, issues } = parseDefinition(kind, schema, { name, ...plain });
        if (issues.length > 0) {
            // A RunError is reported by Pulumi without a stack trace: the message says all there is.
            throw new pulumi.RunError(new InvalidDefinitionsError(issues).message);
        }
        return value as z.infer<S>;
    };
    if (!hasOutputs(args)) {
        return pulumi.output(check(args)) as pulumi.Output<z.infer<S>>;
    }
    return pulumi.output(args).apply((plain) => check(plain as object)) as pulumi.Output<z.infer<S>>;
}
