/**
 * The names of the kinds that registries implement, as the definitions' schemas accept them. The
 * implementations live in their registries (`provider/actions/registry.ts`); each registry is checked at
 * compile time to cover exactly these names, so adding a kind is its file, its registry line and its name here.
 */
export const actionKinds = ["commit", "pr", "none"] as const;
export type ActionKind = (typeof actionKinds)[number];
