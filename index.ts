/** pulumi-promotions: the model as Pulumi components, and the tools around it. */
export * from "./components";
export type { EngineLocation } from "./engine/pulumi/engineLocator";
export { locateEngine } from "./engine/pulumi/engineLocator";
export { EnvironmentError, InvalidInputError, PromotionError } from "./model/errors";
export type { PreviewResult, ProgressEvent, PromoteEngineOptions } from "./engine/promoteEngine";
export { gitCacheDir, PromoteEngine } from "./engine/promoteEngine";
export type { ReleaseRecord, ReleaseStatus } from "./engine/record/releaseRecord";
export { publicRecord } from "./engine/record/releaseRecord";
export type { CloudEvent } from "./engine/notifications/notifications";
export { signatureHeader, verifySignature } from "./engine/notifications/notifications";
