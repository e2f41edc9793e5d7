// The rules of the promotion-guardrails pack, as plain functions of one environment's promotion (what
// pulumi-promotions gives a policy pack: the `subject` input of each EnvironmentPromotion). index.js wires
// them into a PolicyPack; tests call them directly.
"use strict";

/** The EnvironmentPromotion resource's type: the only resource these rules look at. */
const promotionType = "pulumi-nodejs:dynamic/promotions:EnvironmentPromotion";

/** Pre-release versions production must not get: `-rc`, `-rc.1`, `-SNAPSHOT` (any case). */
const preRelease = /-(rc\b|rc\.|rc\d|snapshot\b)/i;

/**
 * Every container image a promotion writes: `{repository, tag, digest}` siblings (`$.image.repository` and
 * `$.image.tag`) and `image: repo:tag` strings, with where they are (file and JSONPath).
 */
function images(subject) {
    // Every written value as leaves: file, parent path, key, value.
    const leaves = [];
    const walk = (file, p, value) => {
        if (value && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) {
                walk(file, Array.isArray(value) ? `${p}[${k}]` : `${p}.${k}`, v);
            }
            return;
        }
        const m = /^(.*)(?:\.([^.[\]]+)|\[(\d+)\])$/.exec(p);
        leaves.push({ file, parent: m ? m[1] : "$", key: m ? (m[2] ?? m[3]) : "", value });
    };
    for (const v of subject.values || []) {
        walk(v.file, String(v.path), v.value);
    }
    const found = [];
    for (const leaf of leaves) {
        if (leaf.key === "repository" && typeof leaf.value === "string") {
            const sibling = (key) =>
                leaves.find((l) => l.file === leaf.file && l.parent === leaf.parent && l.key === key);
            const tag = sibling("tag");
            const digest = sibling("digest");
            const ref = `${leaf.value}${tag ? `:${tag.value}` : ""}${digest ? `@${digest.value}` : ""}`;
            found.push({ where: `${leaf.file} ${leaf.parent}`, ref });
        } else if (/^image$/i.test(leaf.key) && typeof leaf.value === "string") {
            found.push({ where: `${leaf.file} ${leaf.parent}.${leaf.key}`, ref: leaf.value });
        }
    }
    return found;
}

/** The registry an image reference is pulled from (`docker.io` when it names none). */
function registryOf(ref) {
    const first = ref.split("/")[0];
    return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
        ? first
        : "docker.io";
}

/** The tag of an image reference (`repo:tag@digest` → `tag`), if it has one. */
function tagOf(ref) {
    const name = ref.split("@")[0];
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(colon + 1) : undefined;
}

/** Mandatory: no pre-release version (`-rc`, `-SNAPSHOT`) into a production environment. */
function noPreReleaseInProduction(subject) {
    if (subject.kind !== "production") {
        return [];
    }
    const bad = [subject.version, ...images(subject).map((i) => tagOf(i.ref))].filter(
        (v) => typeof v === "string" && preRelease.test(v),
    );
    return [...new Set(bad)].map(
        (v) =>
            `version ${v} is a pre-release: production environment ${subject.environment} takes releases only`,
    );
}

/** Mandatory: every image comes from an allowed registry (`allowedRegistries`: hosts or host/path prefixes). */
function allowedRegistries(subject, allowed) {
    return images(subject)
        .filter(({ ref }) => !allowed.some((a) => ref === a || ref.startsWith(a.endsWith("/") ? a : `${a}/`)))
        .map(
            ({ where, ref }) =>
                `image ${ref} (${where}) is from ${registryOf(ref)}, not an allowed registry (${allowed.join(", ")})`,
        );
}

/** Advisory: images pinned by digest, not by a tag alone (a tag can be moved). */
function pinnedByDigest(subject) {
    return images(subject)
        .filter(({ ref }) => !ref.includes("@sha256:"))
        .map(({ where, ref }) => `image ${ref} (${where}) is not pinned by digest`);
}

module.exports = {
    promotionType,
    images,
    registryOf,
    noPreReleaseInProduction,
    allowedRegistries,
    pinnedByDigest,
};
