export type { ApplicationDefinition, ApplicationInput } from "./application";
export { applicationDefinitionSchema } from "./application";
export type { Catalog, CatalogApplication, CatalogFlow, CatalogProduct, Definitions } from "./catalog.types";
export { buildCatalog, catalogContext, defaultFlowTimeoutMs } from "./catalog";
export type { CatalogContext, CatalogRule, FlowShape, ProductShape } from "./catalog.rules";
export {
    applicationInEveryFlowEnvironment,
    catalogRules,
    noneNeedsPreAction,
    singleTriggerApplication,
} from "./catalog.rules";
export { definitionLimits } from "./limits";
export { matchesSelector } from "./common";
export { formatDuration, parseDuration } from "../model/duration";
export { loadCatalog, loadDefinitions } from "./config";
export type { EnvironmentArgs, EnvironmentDefinition, EnvironmentInput } from "./environment";
export { Environment, environmentDefinitionSchema } from "./environment";
export type { Issue } from "./issues";
export { formatIssue, InvalidDefinitionsError } from "./issues";
export { loadManifests } from "./manifests";
export type { ProductArgs, ProductDefinition, ProductInput } from "./product";
export { Product, productDefinitionSchema } from "./product";
export type { TriggerCommit } from "./product.triggers";
export { globMatches, matchFlow } from "./product.triggers";
export type { PromotionFlowArgs, PromotionFlowDefinition, PromotionFlowInput } from "./promotionFlow";
export { PromotionFlow, promotionFlowDefinitionSchema } from "./promotionFlow";
export type { FlowGraph } from "./promotionFlow.graph";
export { findCycle, flowGraph, toDot, toMermaid } from "./promotionFlow.graph";
export type { PromotionPolicyArgs, PromotionPolicyDefinition, PromotionPolicyInput } from "./promotionPolicy";
export { PromotionPolicy, promotionPolicyDefinitionSchema } from "./promotionPolicy";
export type { PromotionWindowArgs, PromotionWindowDefinition, PromotionWindowInput } from "./promotionWindow";
export { PromotionWindow, promotionWindowDefinitionSchema } from "./promotionWindow";
export type {
    PromotionPermissionArgs,
    PromotionPermissionDefinition,
    PromotionPermissionInput,
} from "./promotionPermission";
export { PromotionPermission, promotionPermissionDefinitionSchema } from "./promotionPermission";
export type { Authorization, PermissionScope } from "./promotionPermission.authorize";
export { authorize, authorizeAll } from "./promotionPermission.authorize";
export type {
    NotificationEventType,
    PromotionNotificationArgs,
    PromotionNotificationDefinition,
    PromotionNotificationInput,
} from "./promotionNotification";
export {
    notificationEventTypes,
    PromotionNotification,
    promotionNotificationDefinitionSchema,
} from "./promotionNotification";
export type { ResolvedPolicy } from "./promotionPolicy.merge";
export { matchingPolicies, policyMatches, resolvePolicy } from "./promotionPolicy.merge";
export type {
    PromotionTemplateArgs,
    PromotionTemplateDefinition,
    PromotionTemplateInput,
} from "./promotionTemplate";
export { PromotionTemplate, promotionTemplateDefinitionSchema } from "./promotionTemplate";
export type { TemplateChoice } from "./promotionTemplate.select";
export { selectTemplate } from "./promotionTemplate.select";
export type {
    PromotionWorkflowArgs,
    PromotionWorkflowDefinition,
    PromotionWorkflowInput,
} from "./promotionWorkflow";
export { PromotionWorkflow, promotionWorkflowDefinitionSchema } from "./promotionWorkflow";
export { dynamicModule, tokens } from "../model/tokens";
export type { PromotionComponent } from "./register";
export { catalogOf, registerDefinitions } from "./register";
