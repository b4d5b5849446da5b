import { describe, expect, it } from "vitest";
import { dockerfileSteps, sharedSteps } from "./dockerfile-steps.ts";

describe("dockerfileSteps", () => {
  it("counts instructions as the builder numbers its steps", () => {
    const steps = dockerfileSteps(
      [
        "# syntax=docker/dockerfile:1",
        "ARG BASE=node:20",
        "# a comment",
        "from ${BASE} AS build",
        "",
        "RUN apt-get update && \\",
        "  # comments inside a continuation are dropped",
        "  apt-get install -y   curl",
        "COPY . .",
      ].join("\n"),
    );
    expect(steps).toEqual([
      "ARG BASE=node:20",
      "FROM ${BASE} AS build",
      "RUN apt-get update && apt-get install -y curl",
      "COPY . .",
    ]);
  });

  it("honours the escape directive", () => {
    expect(dockerfileSteps("# escape=`\nFROM x\nRUN a `\n  b\n")).toEqual(["FROM x", "RUN a b"]);
  });
});

describe("sharedSteps", () => {
  const api = ["FROM node", "WORKDIR /app", "COPY package.json ./", "RUN npm ci", "COPY apps/api ./"];
  const web = ["FROM node", "WORKDIR /app", "COPY package.json ./", "RUN npm ci", "COPY apps/web ./"];

  it("is the length of the common prefix for builds of the same inputs", () => {
    expect(sharedSteps(api, web, true)).toBe(4);
  });

  it("stops before the first COPY, ADD or ARG when contexts or build args differ", () => {
    expect(sharedSteps(api, web, false)).toBe(2);
  });
});
