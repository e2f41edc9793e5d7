/** Durations as users write them, in one place for every floor. */

/**
 * A duration: an integer is minutes (Codefresh's `promotionTimeoutLimit`), a string is a number with a unit
 * (`90s`, `5m`, `24h`, `1d`, or combinations like `1h30m`). Returns milliseconds, or undefined if invalid.
 */
export function parseDuration(value: number | string): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) && value > 0 ? value * 60_000 : undefined;
    }
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) {
        return parseDuration(Number(text));
    }
    const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
    let total = 0;
    let consumed = 0;
    for (const m of text.matchAll(re)) {
        if (m.index !== consumed) {
            return undefined;
        }
        total += Number(m[1]) * units[m[2]];
        consumed += m[0].length;
    }
    return consumed === text.length && total > 0 ? total : undefined;
}

/** Formats milliseconds the way users write durations: `90s`, `5m`, `1h30m`, `24h`. */
export function formatDuration(ms: number): string {
    if (ms < 1000) {
        return `${ms}ms`;
    }
    const parts: string[] = [];
    let rest = Math.round(ms / 1000);
    for (const [unit, size] of [
        ["d", 86400],
        ["h", 3600],
        ["m", 60],
        ["s", 1],
    ] as const) {
        if (rest >= size) {
            parts.push(`${Math.floor(rest / size)}${unit}`);
            rest %= size;
        }
    }
    return parts.join("");
}
