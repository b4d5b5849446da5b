/** What the stories behind the token share: a previewd with a token and two environments on it. */
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import type { Harness } from "../helpers/previewd-harness.ts";

export const token = "bridge-test-token";
export const auth = { authorization: `Bearer ${token}` };

export interface TokenPreviewd {
  harness: Harness;
  a: EnvironmentView;
  b: EnvironmentView;
}
