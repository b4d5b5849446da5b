/**
 * The webhook's logic, free of HTTP framework: verify the signature over the raw body, answer
 * `ping`, drop repeated deliveries, ignore repositories previewd does not serve, and queue the
 * rest per pull request so the answer comes back at once and the work happens afterwards.
 */
import { Webhooks } from "@octokit/webhooks";
import { UnauthorizedError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { DeliveryLog } from "./delivery-log.ts";
import type { KeyedQueue } from "./keyed-queue.ts";
import type { PullRequestHandler } from "./pull-request-handler.ts";
import { pullRequestEventSchema, pullRequestKey } from "./pull-request-event.ts";

export interface WebhookDelivery {
  /** X-GitHub-Event */
  event: string | undefined;
  /** X-GitHub-Delivery */
  delivery: string | undefined;
  /** X-Hub-Signature-256 */
  signature256: string | undefined;
  /** X-Hub-Signature (SHA-1; not accepted, only named in the error) */
  signature1: string | undefined;
  /** GitHub sends JSON, or `payload=<json>` form-encoded when the hook is set up that way. */
  contentType: string | undefined;
  body: Buffer;
}

export interface WebhookAnswer {
  status: 200 | 202;
  body: { status: "pong" | "queued" | "duplicate" | "ignored"; delivery?: string; reason?: string };
}

export interface WebhookReceiverDeps {
  secret: string;
  deliveries: DeliveryLog;
  queue: KeyedQueue;
  handler: Pick<PullRequestHandler, "handle">;
  /** Lower-cased `owner/name` → source. */
  repos: Map<string, string>;
  logger: Logger;
}

export class WebhookReceiver {
  readonly #webhooks: Webhooks;

  constructor(private readonly deps: WebhookReceiverDeps) {
    this.#webhooks = new Webhooks({ secret: deps.secret });
  }

  async receive(request: WebhookDelivery): Promise<WebhookAnswer> {
    await this.#verify(request);
    const delivery = request.delivery;
    if (!delivery || delivery.length > 200) {
      throw new ValidationError("missing X-GitHub-Delivery header", {
        errors: [{ path: "headers.x-github-delivery", message: "expected the delivery's GUID" }],
      });
    }
    if (request.event === "ping") return { status: 200, body: { status: "pong", delivery } };
    if (!this.deps.deliveries.remember(delivery)) {
      this.deps.logger.info({ delivery }, "repeated webhook delivery ignored");
      return { status: 200, body: { status: "duplicate", delivery } };
    }
    if (request.event !== "pull_request") {
      return {
        status: 202,
        body: { status: "ignored", delivery, reason: `event ${request.event} is not handled` },
      };
    }
    const parsed = pullRequestEventSchema.safeParse(parsePayload(request));
    if (!parsed.success) {
      throw new ValidationError("not a pull_request event payload", {
        errors: parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      });
    }
    const event = parsed.data;
    const repo = event.repository.full_name;
    const source = this.deps.repos.get(repo.toLowerCase());
    if (source === undefined) {
      this.deps.logger.info({ delivery, repo }, "webhook for a repository previewd does not serve; ignored");
      const reason = `repository ${repo} is not in PREVIEWD_GITHUB_REPOS`;
      return { status: 202, body: { status: "ignored", delivery, reason } };
    }
    this.deps.queue.add(pullRequestKey(repo, event.number), () => this.deps.handler.handle(event, source));
    return { status: 202, body: { status: "queued", delivery } };
  }

  async #verify(request: WebhookDelivery): Promise<void> {
    const signature = checkSignatureHeader(request);
    // verify() compares in constant time and answers false for a wrong length.
    const valid =
      request.body.length > 0 &&
      (await this.#webhooks.verify(request.body.toString("utf8"), signature).catch(() => false));
    if (!valid)
      throw new UnauthorizedError("X-Hub-Signature-256 does not match the payload and GITHUB_WEBHOOK_SECRET");
  }
}

const signatureFormat = /^sha256=[0-9a-f]{64}$/i;

/**
 * The signature header, present and well-formed, or UnauthorizedError. Checked from the headers
 * alone, so an unsigned request is refused before its body (up to 25 MB) is read.
 */
export function checkSignatureHeader(request: Pick<WebhookDelivery, "signature256" | "signature1">): string {
  const signature = request.signature256;
  if (!signature) {
    throw new UnauthorizedError(
      request.signature1
        ? "X-Hub-Signature (SHA-1) is not accepted; GitHub also sends X-Hub-Signature-256"
        : "missing X-Hub-Signature-256 header",
    );
  }
  if (!signatureFormat.test(signature)) {
    throw new UnauthorizedError("X-Hub-Signature-256 is malformed: expected sha256=<64 hex digits>");
  }
  return signature;
}

function parsePayload(request: WebhookDelivery): unknown {
  const text = request.body.toString("utf8");
  const form = /application\/x-www-form-urlencoded/i.test(request.contentType ?? "");
  try {
    return JSON.parse(form ? (new URLSearchParams(text).get("payload") ?? "") : text);
  } catch {
    throw new ValidationError("malformed JSON", { errors: [{ path: "body", message: "expected JSON" }] });
  }
}
