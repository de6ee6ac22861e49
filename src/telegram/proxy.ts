import http from "node:http";
import https from "node:https";
import type { Agent } from "node:http";
import { Readable } from "node:stream";
import { lazyRequire } from "../lazy.js";

/**
 * Bot API traffic through a proxy (`TELEGRAM_PROXY`): `http://` and `https://` proxies are
 * used with CONNECT tunnels (https-proxy-agent, for `http:` and `https:` API roots alike),
 * `socks5://` / `socks5h://` through socks-proxy-agent. Every Bot API client (the bot's,
 * the destinations', the notifier's, the catalog's) takes the agent through grammY's
 * `baseFetchConfig`, and file downloads go through `download` below with the same agent.
 */

const agents = new Map<string, Agent>();

/** One agent per proxy URL, made on first use (keeps connections to the proxy alive). */
export function proxyAgent(proxy: string | undefined): Agent | undefined {
  if (!proxy) return undefined;
  let agent = agents.get(proxy);
  if (!agent) {
    // Loaded only when a proxy is set: together they cost every command ~40 ms to load.
    if (proxy.startsWith("socks")) {
      const { SocksProxyAgent } = lazyRequire("socks-proxy-agent") as typeof import("socks-proxy-agent");
      agent = new SocksProxyAgent(proxy, { keepAlive: true });
    } else {
      const { HttpsProxyAgent } = lazyRequire("https-proxy-agent") as typeof import("https-proxy-agent");
      agent = new HttpsProxyAgent(proxy, { keepAlive: true });
    }
    agents.set(proxy, agent);
  }
  return agent;
}

/** grammY client options' `baseFetchConfig` for `proxy` (undefined: grammY's own defaults). */
export function fetchConfigFor(proxy: string | undefined): { agent: Agent; compress: boolean } | undefined {
  const agent = proxyAgent(proxy);
  return agent ? { agent, compress: true } : undefined;
}

/**
 * GETs a Bot API file URL, through the proxy when one is set, and returns the body. A status
 * other than 200 is an error (naming the status only: the URL holds the bot token).
 */
export function download(url: string, options: { proxy?: string; signal?: AbortSignal } = {}): Promise<Readable> {
  const target = new URL(url);
  const get = target.protocol === "https:" ? https.get : http.get;
  const agent = proxyAgent(options.proxy);
  return new Promise((resolve, reject) => {
    const req = get(target, { ...(agent ? { agent } : {}), ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`download failed: HTTP ${res.statusCode}`));
        return;
      }
      const declared = Number(res.headers["content-length"] ?? -1);
      // A connection that ends before Content-Length is a failure, never a short file.
      const body = Readable.from(
        (async function* () {
          let received = 0;
          for await (const chunk of res) {
            received += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          if (declared >= 0 && received !== declared) throw new Error(`download failed: the connection ended after ${received} of ${declared} bytes`);
        })(),
        { objectMode: false },
      );
      resolve(body);
    });
    req.on("error", (err) => reject(options.signal?.aborted ? options.signal.reason : new Error(`download failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
  });
}
