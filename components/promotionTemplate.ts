import { z } from "zod";
import { fileInApplicationProblem } from "./application.source";
import { labelSelectorSchema, nameSchema, refusing } from "./common";

/** What a template promotes: the version source and, per file, the JSONPaths to copy (and to leave out). */
export const templateBodySchema = z.strictObject({
    /** Where the release version is read: a file of the source application and a JSONPath in it. */
    versionSource: z
        .strictObject({
            file: z.string().min(1).superRefine(refusing(fileInApplicationProblem)),
            jsonPath: z.string().min(1),
        })
        .optional(),
    /**
     * File (relative to the application path) to the JSONPaths promoted from it. Omit to promote every file.
     * `excludeJsonPaths` (ours) leaves environment-specific values inside matched paths alone.
     */
    promotion: z
        .record(
            z.string().min(1),
            z.strictObject({
                jsonPaths: z.array(z.string().min(1)).min(1, "list at least one JSONPath (or omit the file)"),
                excludeJsonPaths: z.array(z.string().min(1)).optional(),
            }),
        )
        .superRefine((files, ctx) => {
            for (const file of Object.keys(files)) {
                const reason = fileInApplicationProblem(file);
                if (reason !== undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: [file],
                        message: `file ${JSON.stringify(file)} ${reason}`,
                    });
                }
            }
        })
        .optional(),
});
export type TemplateBody = z.infer<typeof templateBodySchema>;

export const promotionTemplateDefinitionSchema = templateBodySchema.extend({
    name: nameSchema,
    /** Which applications the template applies to (labels; `codefresh.io/product` and `codefresh.io/environment` are implied). */
    applicationSourceSelector: labelSelectorSchema,
    /** Lower wins when several templates match an application. */
    priority: z.number().int(),
});
export type PromotionTemplateDefinition = z.infer<typeof promotionTemplateDefinitionSchema>;
export type PromotionTemplateInput = z.input<typeof promotionTemplateDefinitionSchema>;
