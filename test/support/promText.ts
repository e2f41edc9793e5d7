/**
 * A strict parser of Prometheus' text exposition format (version 0.0.4), for tests of `/metrics`: it throws,
 * naming the line, on anything a Prometheus server would refuse or that breaks the format's rules (a sample
 * before its family's TYPE, a malformed label or value, a duplicate series, a histogram whose buckets are not
 * cumulative or whose +Inf bucket differs from its count).
 */

export interface Sample {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

export interface Family {
    readonly name: string;
    readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
    readonly help?: string;
    readonly samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** As Prometheus reads a value (Go's ParseFloat): Inf, Infinity and NaN in any case, with a sign for Inf. */
function parseValue(raw: string, at: string): number {
    const special = /^([-+]?)(inf|infinity|nan)$/i.exec(raw);
    if (special) {
        if (special[2].toLowerCase() === "nan") {
            if (special[1]) {
                throw new Error(`${at}: value "${raw}": NaN takes no sign`);
            }
            return NaN;
        }
        return special[1] === "-" ? -Infinity : Infinity;
    }
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) {
        throw new Error(`${at}: value "${raw}" is not a number`);
    }
    return Number(raw);
}

/** `{a="x",b="y\"z"}` from position `i` (at the `{`); returns the labels and the position after `}`. */
function parseLabels(line: string, i: number, at: string): { labels: Record<string, string>; end: number } {
    const labels: Record<string, string> = {};
    i++;
    while (line[i] !== "}") {
        const eq = line.indexOf("=", i);
        if (eq < 0) {
            throw new Error(`${at}: a label without "="`);
        }
        const name = line.slice(i, eq).trim();
        if (!labelName.test(name) || name.startsWith("__")) {
            throw new Error(`${at}: bad label name "${name}"`);
        }
        if (line[eq + 1] !== '"') {
            throw new Error(`${at}: label ${name}'s value is not quoted`);
        }
        let value = "";
        let j = eq + 2;
        for (; j < line.length && line[j] !== '"'; j++) {
            if (line[j] === "\\") {
                const next = line[++j];
                if (next === "n") {
                    value += "\n";
                } else if (next === "\\" || next === '"') {
                    value += next;
                } else {
                    throw new Error(`${at}: bad escape "\\${next}" in label ${name}`);
                }
            } else {
                value += line[j];
            }
        }
        if (j >= line.length) {
            throw new Error(`${at}: label ${name}'s value is not closed`);
        }
        if (name in labels) {
            throw new Error(`${at}: label ${name} twice`);
        }
        labels[name] = value;
        i = j + 1;
        if (line[i] === ",") {
            i++;
        } else if (line[i] !== "}") {
            throw new Error(`${at}: expected "," or "}" after label ${name}`);
        }
    }
    return { labels, end: i + 1 };
}

/** The family a sample name belongs to (a histogram's `_bucket`, `_sum` and `_count` belong to it). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
    for (const suffix of ["", "_bucket", "_sum", "_count"]) {
        if (suffix && !name.endsWith(suffix)) {
            continue;
        }
        const f = families.get(name.slice(0, name.length - suffix.length));
        if (
            f &&
            (suffix === "" || f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))
        ) {
            return f;
        }
    }
    return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
    if (!text.endsWith("\n")) {
        throw new Error("the exposition does not end with a newline");
    }
    const families = new Map<string, Family>();
    const series = new Set<string>();
    text.slice(0, -1)
        .split("\n")
        .forEach((line, n) => {
            const at = `line ${n + 1} (${JSON.stringify(line.slice(0, 80))})`;
            if (line.trim() === "") {
                return;
            }
            if (line.startsWith("#")) {
                const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
                if (!m) {
                    return; // a comment
                }
                const [, kind, name, rest] = m;
                if (!metricName.test(name)) {
                    throw new Error(`${at}: bad metric name "${name}"`);
                }
                const f = families.get(name);
                if (kind === "TYPE") {
                    if (!types.has(rest)) {
                        throw new Error(`${at}: unknown type "${rest}"`);
                    }
                    if (f && (f.samples.length > 0 || f.type !== "untyped")) {
                        throw new Error(`${at}: TYPE of ${name} after its samples or twice`);
                    }
                    families.set(name, { name, type: rest as Family["type"], help: f?.help, samples: [] });
                } else {
                    if (f?.help !== undefined) {
                        throw new Error(`${at}: HELP of ${name} twice`);
                    }
                    families.set(name, {
                        name,
                        type: f?.type ?? "untyped",
                        help: rest,
                        samples: f?.samples ?? [],
                    });
                }
                return;
            }
            const nameEnd = line.search(/[{ ]/);
            if (nameEnd <= 0) {
                throw new Error(`${at}: no value`);
            }
            const name = line.slice(0, nameEnd);
            if (!metricName.test(name)) {
                throw new Error(`${at}: bad metric name "${name}"`);
            }
            let labels: Record<string, string> = {};
            let i = nameEnd;
            if (line[i] === "{") {
                ({ labels, end: i } = parseLabels(line, i, at));
            }
            const parts = line.slice(i).trim().split(/\s+/);
            if (line[i] !== " " || parts.length < 1 || parts.length > 2) {
                throw new Error(`${at}: expected " value [timestamp]"`);
            }
            const value = parseValue(parts[0], at);
            if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) {
                throw new Error(`${at}: bad timestamp "${parts[1]}"`);
            }
            const f = familyOf(name, families);
            if (!f) {
                throw new Error(`${at}: sample of ${name} before its family's TYPE`);
            }
            if (f.type === "counter" && !(value >= 0)) {
                throw new Error(`${at}: a counter below zero`);
            }
            const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
            if (series.has(key)) {
                throw new Error(`${at}: the series ${key} twice`);
            }
            series.add(key);
            f.samples.push({ name, labels, value });
        });
    for (const f of families.values()) {
        if (f.type === "histogram") {
            checkHistogram(f);
        }
    }
    return families;
}

/** Buckets cumulative and ordered by `le`, ending at +Inf with the series' `_count`. */
function checkHistogram(f: Family): void {
    const groups = new Map<string, { le: number; value: number }[]>();
    const counts = new Map<string, number>();
    const keyOf = (labels: Readonly<Record<string, string>>) =>
        JSON.stringify(
            Object.entries(labels)
                .filter(([k]) => k !== "le")
                .sort(),
        );
    for (const s of f.samples) {
        const key = keyOf(s.labels);
        if (s.name.endsWith("_bucket")) {
            if (s.labels.le === undefined) {
                throw new Error(`${f.name}: a bucket without le`);
            }
            groups.set(key, [
                ...(groups.get(key) ?? []),
                { le: parseValue(s.labels.le, f.name), value: s.value },
            ]);
        } else if (s.name.endsWith("_count")) {
            counts.set(key, s.value);
        }
    }
    for (const [key, buckets] of groups) {
        for (let i = 1; i < buckets.length; i++) {
            if (!(buckets[i].le > buckets[i - 1].le) || buckets[i].value < buckets[i - 1].value) {
                throw new Error(`${f.name}${key}: buckets not ordered or not cumulative`);
            }
        }
        const last = buckets[buckets.length - 1];
        if (last.le !== Infinity || last.value !== counts.get(key)) {
            throw new Error(`${f.name}${key}: the +Inf bucket is missing or differs from _count`);
        }
    }
}

/** The value of the series of `name` with exactly these labels (0 when absent: a counter not yet moved). */
export function valueOf(
    families: Map<string, Family>,
    name: string,
    labels: Readonly<Record<string, string>>,
): number {
    const f = familyOf(name, families);
    const want = JSON.stringify(Object.entries(labels).sort());
    const s = f?.samples.find(
        (x) => x.name === name && JSON.stringify(Object.entries(x.labels).sort()) === want,
    );
    return s?.value ?? 0;
}
