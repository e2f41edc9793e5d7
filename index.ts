/** pulumi-promotions: the model as Pulumi components, and the tools around it. */
export * from "./components";
export type { EngineLocation } from "./engine/engineLocator";
export { locateEngine } from "./engine/engineLocator";
export { EnvironmentError, InvalidInputError, PromotionError } from "./model/errors";
export type { PreviewResult, ProgressEvent, PromoteEngineOptions } from "./engine/promoteEngine";
export { gitCacheDir, PromoteEngine } from "./engine/promoteEngine";
export type { ReleaseRecord, ReleaseStatus } from "./engine/releaseRecord";
export { publicRecord } from "./engine/releaseRecord";
export type { CloudEvent } from "./engine/notifications";
export { signatureHeader, verifySignature } from "./engine/notifications";
