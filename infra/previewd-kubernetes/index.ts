/**
 * `pulumi up` here deploys previewd onto the current kubeconfig's cluster (README.md). Config:
 * image, domain, registry, token (secret); optional namespace, ingressClass, storageClass, storageSize.
 */
import * as pulumi from "@pulumi/pulumi";
import { previewdOnKubernetes } from "./previewd-on-kubernetes.ts";

const config = new pulumi.Config();
const optional = (key: string) => config.get(key);
const namespace = optional("namespace");
const ingressClass = optional("ingressClass");
const storageClass = optional("storageClass");
const storageSize = optional("storageSize");

const deployed = previewdOnKubernetes({
  image: config.require("image"),
  domain: config.require("domain"),
  registry: config.require("registry"),
  token: config.requireSecret("token"),
  ...(namespace && { namespace }),
  ...(ingressClass && { ingressClass }),
  ...(storageClass && { storageClass }),
  ...(storageSize && { storageSize }),
});

export const previewdNamespace = deployed.namespace;
export const url = deployed.url;
export const serviceAccount = deployed.serviceAccount;
