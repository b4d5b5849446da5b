/**
 * The environment's browser for the CDP bridge: headless Chromium as a Deployment and Service in
 * the namespace (the bridge reaches it through a port-forward). Each preview host resolves to its
 * app's Service (`--host-resolver-rules`), so the browser opens the preview URLs from inside the
 * cluster whatever the base domain resolves to outside (`*.localhost` is loopback to Chromium).
 */
import { selectorLabels, workloadLabels } from "./labels.ts";
import { podSpec } from "./app-objects.ts";
import { meta, type PlanContext } from "./plan-context.ts";
import { planned, type Container, type PlannedObject } from "./planned-object.ts";
import { browserName, browserPort, defaultBrowserImage, previewHost } from "./preview-environment-args.ts";
import { quantities, serviceAmounts } from "./resources.ts";

export function hostResolverRules(ctx: PlanContext): string {
  const { manifest, environment } = ctx.args;
  return Object.keys(manifest.apps)
    .map(
      (app) => `MAP ${previewHost(app, environment.id, environment.baseDomain)} ${app}.${ctx.namespace}.svc`,
    )
    .join(", ");
}

export function browserObjects(ctx: PlanContext): PlannedObject[] {
  const container: Container = {
    name: "chromium",
    image: ctx.args.settings.browserImage ?? defaultBrowserImage,
    // Appended to the image's own command line (headless, remote debugging on 9222).
    args: [`--host-resolver-rules=${hostResolverRules(ctx)}`],
    ports: [{ name: "cdp", containerPort: browserPort }],
    resources: {
      limits: quantities(serviceAmounts.browser.limits),
      requests: quantities(serviceAmounts.browser.requests),
    },
    // The pod's IP as Host: Chromium answers /json only for IP or localhost Hosts.
    readinessProbe: {
      httpGet: { path: "/json/version", port: "cdp" },
      periodSeconds: 5,
      failureThreshold: 3,
    },
    livenessProbe: { tcpSocket: { port: "cdp" }, periodSeconds: 20, failureThreshold: 3 },
  };
  return [
    planned("apps/v1", "Deployment", meta(ctx, browserName, "browser"), {
      spec: {
        replicas: 1,
        revisionHistoryLimit: 2,
        selector: { matchLabels: selectorLabels(ctx.labels, browserName, "browser") },
        template: {
          metadata: { labels: workloadLabels(ctx.labels, browserName, "browser") },
          // Chromium needs more shared memory than a container's default 64 MB.
          spec: {
            ...podSpec([{ ...container, volumeMounts: [{ name: "shm", mountPath: "/dev/shm" }] }]),
            volumes: [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } }],
          },
        },
      },
    }),
    planned("v1", "Service", meta(ctx, browserName, "browser"), {
      spec: {
        type: "ClusterIP",
        selector: selectorLabels(ctx.labels, browserName, "browser"),
        ports: [{ name: "cdp", port: browserPort, targetPort: "cdp" }],
      },
    }),
  ];
}
