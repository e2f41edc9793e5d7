import * as assert from "assert";
import { z } from "zod";
import { formatFieldPath, formatIssue, zodIssues } from "../../../components/issues";
import { parseDefinition } from "../../../components/definition";
import { environmentDefinitionSchema } from "../../../components/environment";

describe("zod issues as ours", () => {
    const schema = z.strictObject({
        name: z.string(),
        steps: z.array(z.strictObject({ environment: z.string() })),
        labels: z.record(z.string(), z.string()).optional(),
    });
    const reasons = (input: unknown) => {
        const r = schema.safeParse(input);
        assert.ok(!r.success);
        return zodIssues('PromotionFlow "f"', r.error, undefined, "", input).map(formatIssue);
    };

    it("says a field is missing only when it is absent", () => {
        assert.deepStrictEqual(reasons({ steps: [] }), [
            'PromotionFlow "f": name: required field is missing (a string)',
        ]);
    });

    it("says what was expected and what was given for a wrong type", () => {
        assert.deepStrictEqual(reasons({ name: 5, steps: "qa", labels: ["a"] }), [
            'PromotionFlow "f": name: expected a string, got number 5',
            'PromotionFlow "f": steps: expected a list, got a string ("qa")',
            'PromotionFlow "f": labels: expected a mapping, got a list',
        ]);
        assert.deepStrictEqual(reasons({ name: "f", steps: [{ environment: null }] }), [
            'PromotionFlow "f": steps[0].environment: expected a string, got null (an empty value)',
        ]);
    });

    it("parseDefinition passes the input, so schemas report wrong types as such", () => {
        const { issues } = parseDefinition("Environment", environmentDefinitionSchema, {
            name: "dev",
            clusters: "in-cluster",
        });
        assert.deepStrictEqual(issues.map(formatIssue), [
            'Environment "dev": clusters: expected a list, got a string ("in-cluster")',
        ]);
    });

    it("quotes keys that are not plain names in field paths", () => {
        assert.strictEqual(
            formatFieldPath(["promotion", "values.yaml", "jsonPaths", 0]),
            'promotion["values.yaml"].jsonPaths[0]',
        );
        assert.strictEqual(formatFieldPath(["steps", 2, "dependsOn"]), "steps[2].dependsOn");
    });
});
