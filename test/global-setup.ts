/** Once per `vitest run`, before any worker starts: what several suites share and none may race over. */
import { assertBuildIsFresh } from "./helpers/compiled-cli.ts";
import { ensureShopModules } from "./helpers/shop-modules.ts";

export default function setup(): void {
  assertBuildIsFresh();
  ensureShopModules();
}
