/** What the shop's stories share: one previewd and the shop's environment on it. */
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import type { Harness } from "../helpers/previewd-harness.ts";

export interface ShopPreview {
  harness: Harness;
  env: EnvironmentView;
}
