/**
 * The Ingress that serves the preview URLs: one rule per app, host `<app>--<env-id>.<base-domain>`,
 * to the app's Service on its own port. The class is configurable (default: the cluster's default
 * class); with a TLS Secret the hosts are served over https.
 */
import { meta, type PlanContext } from "./plan-context.ts";
import { planned, type IngressSpec, type PlannedObject } from "./planned-object.ts";
import { previewHost } from "./preview-environment-args.ts";

export function ingressObject(ctx: PlanContext): PlannedObject {
  const { manifest, environment, settings } = ctx.args;
  const hosts = Object.keys(manifest.apps).map((app) => ({
    app,
    host: previewHost(app, environment.id, environment.baseDomain),
  }));
  const spec: IngressSpec = {
    ...(settings.ingressClass && { ingressClassName: settings.ingressClass }),
    rules: hosts.map(({ app, host }) => ({
      host,
      http: {
        paths: [
          { path: "/", pathType: "Prefix", backend: { service: { name: app, port: { name: "http" } } } },
        ],
      },
    })),
    ...(settings.tlsSecret && { tls: [{ hosts: hosts.map((h) => h.host), secretName: settings.tlsSecret }] }),
  };
  return planned("networking.k8s.io/v1", "Ingress", meta(ctx, "preview"), { spec });
}
