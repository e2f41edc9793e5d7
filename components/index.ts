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
export type { EnvironmentDefinition, EnvironmentInput } from "./environment";
export { environmentDefinitionSchema } from "./environment";
export type { EnvironmentArgs } from "./environment.component";
export { Environment } from "./environment.component";
export type { Issue } from "./issues";
export { formatIssue, InvalidDefinitionsError } from "./issues";
export { loadManifests } from "./manifests";
export type { ProductDefinition, ProductInput } from "./product";
export { productDefinitionSchema } from "./product";
export type { ProductArgs } from "./product.component";
export { Product } from "./product.component";
export type { TriggerCommit } from "./product.triggers";
export { globMatches, matchFlow } from "./product.triggers";
export type { PromotionFlowDefinition, PromotionFlowInput } from "./promotionFlow";
export { promotionFlowDefinitionSchema } from "./promotionFlow";
export type { PromotionFlowArgs } from "./promotionFlow.component";
export { PromotionFlow } from "./promotionFlow.component";
export type { FlowGraph } from "./promotionFlow.graph";
export { findCycle, flowGraph, toDot, toMermaid } from "./promotionFlow.graph";
export type { PromotionPolicyDefinition, PromotionPolicyInput } from "./promotionPolicy";
export { promotionPolicyDefinitionSchema } from "./promotionPolicy";
export type { PromotionPolicyArgs } from "./promotionPolicy.component";
export { PromotionPolicy } from "./promotionPolicy.component";
export type { PromotionWindowDefinition, PromotionWindowInput } from "./promotionWindow";
export { promotionWindowDefinitionSchema } from "./promotionWindow";
export type { PromotionWindowArgs } from "./promotionWindow.component";
export { PromotionWindow } from "./promotionWindow.component";
export type { PromotionPermissionDefinition, PromotionPermissionInput } from "./promotionPermission";
export { promotionPermissionDefinitionSchema } from "./promotionPermission";
export type { PromotionPermissionArgs } from "./promotionPermission.component";
export { PromotionPermission } from "./promotionPermission.component";
export type { Authorization, PermissionScope } from "./promotionPermission.authorize";
export { authorize, authorizeAll } from "./promotionPermission.authorize";
export type {
    NotificationEventType,
    PromotionNotificationDefinition,
    PromotionNotificationInput,
} from "./promotionNotification";
export { notificationEventTypes, promotionNotificationDefinitionSchema } from "./promotionNotification";
export type { PromotionNotificationArgs } from "./promotionNotification.component";
export { PromotionNotification } from "./promotionNotification.component";
export type { ResolvedPolicy } from "./promotionPolicy.merge";
export { matchingPolicies, policyMatches, resolvePolicy } from "./promotionPolicy.merge";
export type { PromotionTemplateDefinition, PromotionTemplateInput } from "./promotionTemplate";
export { promotionTemplateDefinitionSchema } from "./promotionTemplate";
export type { PromotionTemplateArgs } from "./promotionTemplate.component";
export { PromotionTemplate } from "./promotionTemplate.component";
export type { TemplateChoice } from "./promotionTemplate.select";
export { selectTemplate } from "./promotionTemplate.select";
export type { PromotionWorkflowDefinition, PromotionWorkflowInput } from "./promotionWorkflow";
export { promotionWorkflowDefinitionSchema } from "./promotionWorkflow";
export type { PromotionWorkflowArgs } from "./promotionWorkflow.component";
export { PromotionWorkflow } from "./promotionWorkflow.component";
export { dynamicModule, tokens } from "../model/tokens";
export type { PromotionComponent } from "./register";
export { catalogOf, registerDefinitions } from "./register";
