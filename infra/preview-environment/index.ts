/** A preview environment on Kubernetes, as a Pulumi component (infra/preview-environment/README.md). */
export { PreviewEnvironment } from "./preview-environment.ts";
export {
  planPreviewEnvironment,
  type PreviewEnvironmentOutputs,
  type PreviewEnvironmentPlan,
} from "./plan.ts";
export { manifestOf, type PlannedObject } from "./planned-object.ts";
export {
  namespaceName,
  previewHost,
  type PreviewEnvironmentArgs,
  type PreviewEnvironmentSettings,
} from "./preview-environment-args.ts";
export { ENV_LABEL, OWNER_LABEL, APP_LABEL, ROLE_LABEL } from "./labels.ts";
