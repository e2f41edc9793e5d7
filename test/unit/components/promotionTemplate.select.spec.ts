import * as assert from "assert";
import type { PromotionTemplateDefinition } from "../../../components/promotionTemplate";
import { selectTemplate } from "../../../components/promotionTemplate.select";

const template = (
    name: string,
    priority: number,
    matchLabels: Record<string, string>,
): PromotionTemplateDefinition => ({
    name,
    priority,
    applicationSourceSelector: { matchLabels },
    promotion: { [`${name}.yaml`]: { jsonPaths: ["$.x"] } },
});
const subject = (
    product: { promotionTemplate?: object; promotionTemplateRef?: string } = {},
    labels = {},
) => ({
    product: { name: "loans", ...product },
    application: { environment: "qa", labels },
});

describe("selectTemplate", () => {
    const templates = [
        template("by-product", 5, { "codefresh.io/product": "loans" }),
        template("by-team", 1, { team: "payments" }),
        template("by-env", 5, { "codefresh.io/environment": "qa" }),
        template("other", 0, { "codefresh.io/product": "cards" }),
    ];
    it("a promotionTemplateRef wins, as Codefresh documents", () => {
        const c = selectTemplate(
            subject({ promotionTemplateRef: "other", promotionTemplate: { promotion: {} } }),
            templates,
        );
        assert.deepStrictEqual([c.source, c.templateName], ["ref", "other"]);
    });
    it("then the inline template", () => {
        assert.strictEqual(
            selectTemplate(subject({ promotionTemplate: { promotion: {} } }), templates).source,
            "inline",
        );
    });
    it("then the matching template with the lowest priority number", () => {
        assert.strictEqual(
            selectTemplate(subject({}, { team: "payments" }), templates).templateName,
            "by-team",
        );
    });
    it("ties by name; product and environment labels are implied", () => {
        assert.strictEqual(selectTemplate(subject(), templates).templateName, "by-env");
    });
    it("none: every file is promoted", () => {
        assert.deepStrictEqual(selectTemplate(subject(), []), { body: {}, source: "none" });
    });
});
