/**
 * Bounds on a definitions directory, so a mistaken or hostile file is refused in well under a second with a
 * message instead of holding the CLI for minutes or exhausting its memory. Real definitions are far smaller:
 * a manifest is about 1 KiB, a product with a dozen applications a few dozen. The README lists these.
 */
export const definitionLimits = {
    /** Bytes per YAML file (1 MiB: about a thousand manifests). */
    fileBytes: 1024 * 1024,
    /** Bytes of all YAML files together. */
    totalBytes: 16 * 1024 * 1024,
    /** YAML documents (`---`-separated manifests) per file. */
    documentsPerFile: 1_000,
    /** YAML documents in the whole directory. */
    documentsTotal: 5_000,
    /** Nesting of mappings and lists, counted from the document (a manifest needs fewer than 10). */
    nestingDepth: 64,
    /** Keys of one mapping. */
    keysPerMapping: 10_000,
    /** Alias (`*name`) expansions per document: the `yaml` library's `maxAliasCount`, against alias bombs. */
    aliases: 100,
} as const;

export type DefinitionLimits = typeof definitionLimits;

/** `1 MiB`, `512 KiB`, `12 bytes`. */
export function formatBytes(n: number): string {
    if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) {
        return `${n / (1024 * 1024)} MiB`;
    }
    if (n >= 1024 * 1024) {
        return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
    }
    if (n >= 1024) {
        return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
    }
    return `${n} bytes`;
}
