// The shapes the console reads, taken from the API's own schemas (server/schemas.ts), so `tsc` checks the
// console's modules against what the server answers. Types only: never served, never loaded by a browser.
import type { z } from "zod";
import type * as s from "../schemas";

export type ProductSummary = z.infer<typeof s.ProductSummary>;
export type Product = z.infer<typeof s.Product>;
export type ProductEnvironments = z.infer<typeof s.ProductEnvironments>;
export type ProductEnvironment = ProductEnvironments["environments"][number];
export type ProductHolds = z.infer<typeof s.ProductHolds>;
export type Hold = ProductHolds["holds"][number];
export type Preview = z.infer<typeof s.Preview>;
export type Release = z.infer<typeof s.Release>;
export type EnvironmentRecord = z.infer<typeof s.EnvironmentRecord>;
export type WorkflowRun = z.infer<typeof s.WorkflowRun>;
export type ReleasePage = z.infer<typeof s.ReleasePage>;
export type RunLog = z.infer<typeof s.RunLog>;
export type Session = z.infer<typeof s.Session>;
export type Permissions = z.infer<typeof s.Permissions>;
export type ResolvedPolicy = z.infer<typeof s.ResolvedPolicy>;
/** POST /releases promoting to one environment (the form with `from` and `to`). */
export type StartPromotion = Extract<z.input<typeof s.StartRelease>, { from: string }>;

/** A child of h() (lib/dom.js): a node, text, or a list of them; null, undefined and false are left out. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
