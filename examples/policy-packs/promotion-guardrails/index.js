// An example policy pack for pulumi-promotions (`policyPacks: [dir]` on a PromotionPolicy or flow step, or
// `promote trigger --policy-pack dir`). Each environment's EnvironmentPromotion carries a `subject`: product,
// environment, kind, tags, version, source commit and every value the promotion writes.
"use strict";
const { PolicyPack } = require("@pulumi/policy");
const rules = require("./rules");

/** Runs `check(subject, config)` on each EnvironmentPromotion and reports what it returns. */
const onPromotions = (check) => (args, reportViolation) => {
    if (args.type !== rules.promotionType || !args.props.subject) {
        return;
    }
    for (const message of check(args.props.subject, args.getConfig())) {
        reportViolation(message);
    }
};

new PolicyPack("promotion-guardrails", {
    policies: [
        {
            name: "no-prerelease-in-production",
            description: "No -rc or -SNAPSHOT version is promoted into a production environment.",
            enforcementLevel: "mandatory",
            validateResource: onPromotions((s) => rules.noPreReleaseInProduction(s)),
        },
        {
            name: "allowed-image-registries",
            description: "Images come only from the allowed registries.",
            enforcementLevel: "mandatory",
            configSchema: {
                properties: {
                    allowedRegistries: {
                        type: "array",
                        items: { type: "string" },
                        default: ["ghcr.io/acme", "registry.example.com"],
                    },
                },
            },
            validateResource: onPromotions((s, c) => rules.allowedRegistries(s, c.allowedRegistries)),
        },
        {
            name: "images-pinned-by-digest",
            description: "Images should be pinned by digest, not only by tag.",
            enforcementLevel: "advisory",
            validateResource: onPromotions((s) => rules.pinnedByDigest(s)),
        },
    ],
});
