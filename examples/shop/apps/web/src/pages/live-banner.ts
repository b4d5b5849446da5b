import { html, SafeHtml } from "@shop/shared";
import { flagImportMap } from "../flags-proxy.ts";

/**
 * Keeps `#banner` in step with the `banner-text` flag without a reload: the OpenFeature web SDK
 * with the OFREP web provider, whose base URL is this app (see flags-proxy.ts). previewd's bulk
 * answer announces an event stream, so a change arrives as it happens; polling is the fallback.
 */
export function liveBanner(flagsBasePath: string): SafeHtml {
  const script = `
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
const banner = document.getElementById("banner");
const client = OpenFeature.getClient();
const show = () => {
  banner.textContent = client.getStringValue("banner-text", banner.textContent);
  banner.dataset.live = "true";
};
client.addHandler(ProviderEvents.ConfigurationChanged, show);
client.addHandler(ProviderEvents.Ready, show);
await OpenFeature.setProviderAndWait(
  new OFREPWebProvider({ baseUrl: location.origin + ${JSON.stringify(flagsBasePath)}, pollInterval: 5000 }),
);
`;
  return html`<script type="importmap">
      ${new SafeHtml(JSON.stringify(flagImportMap))}
    </script>
    <script type="module">
      ${new SafeHtml(script)};
    </script>`;
}
