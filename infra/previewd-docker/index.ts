/**
 * `pulumi up` here runs previewd in a container on the Docker host of the current DOCKER_HOST
 * (README.md). Config: token (secret); optional image, port, listenAddress, baseDomain, dockerSocket.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { previewdOnDocker } from "./previewd-on-docker.ts";

const config = new pulumi.Config();
const image = config.get("image");
const port = config.getNumber("port");
const listenAddress = config.get("listenAddress");
const baseDomain = config.get("baseDomain");
const dockerSocket = config.get("dockerSocket");

const deployed = previewdOnDocker({
  repositoryRoot: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../.."),
  token: config.requireSecret("token"),
  ...(image && { image }),
  ...(port !== undefined && { port }),
  ...(listenAddress && { listenAddress }),
  ...(baseDomain && { baseDomain }),
  ...(dockerSocket && { dockerSocket }),
});

export const url = deployed.url;
export const container = deployed.container;
export const previewdImage = deployed.image;
