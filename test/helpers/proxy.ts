import net from "node:net";
import type { AddressInfo } from "node:net";

/**
 * Local proxies for tests, speaking the real protocols: an HTTP proxy that opens CONNECT
 * tunnels, and a SOCKS5 proxy (no authentication, or username/password). Both read the
 * plain-HTTP requests that pass through their tunnels (the fake Bot API speaks http://), so a
 * test can compare what went through the proxy with what the server received.
 */
export interface TestProxy {
  /** `http://127.0.0.1:port` or `socks5://[user:pass@]127.0.0.1:port`. */
  url: string;
  /** Tunnels opened (CONNECT requests or SOCKS5 connects), with their target. */
  tunnels: string[];
  /** Every HTTP request seen inside a tunnel: method and path (`POST /bot<token>/sendDocument`). */
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

export async function startTestProxy(kind: "http" | "socks5", options: { auth?: { user: string; pass: string } } = {}): Promise<TestProxy> {
  const tunnels: string[] = [];
  const requests: TestProxy["requests"] = [];
  const open = new Set<net.Socket>();

  const tunnel = (client: net.Socket, host: string, port: number, head: Buffer, onConnected: () => void) => {
    const upstream = net.connect(port, host, () => {
      tunnels.push(`${host}:${port}`);
      onConnected();
      const sniff = requestSniffer((method, path) => requests.push({ method, path }));
      if (head.length) {
        sniff(head);
        upstream.write(head);
      }
      client.on("data", (c: Buffer) => {
        sniff(c);
        upstream.write(c);
      });
      upstream.pipe(client);
    });
    open.add(upstream);
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.on("error", () => upstream.destroy());
  };

  const server = net.createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => {});
    if (kind === "http") httpConnect(client, tunnel);
    else socks5(client, tunnel, options.auth);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const auth = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : "";
  return {
    url: kind === "http" ? `http://127.0.0.1:${port}` : `socks5://${auth}127.0.0.1:${port}`,
    tunnels,
    requests,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Tunnel = (client: net.Socket, host: string, port: number, head: Buffer, onConnected: () => void) => void;

/** `CONNECT host:port HTTP/1.1` … blank line → `200 Connection established`, then raw bytes. */
function httpConnect(client: net.Socket, tunnel: Tunnel): void {
  let buffered = Buffer.alloc(0);
  const onData = (c: Buffer) => {
    buffered = Buffer.concat([buffered, c]);
    const end = buffered.indexOf("\r\n\r\n");
    if (end < 0) return;
    client.off("data", onData);
    const head = buffered.subarray(0, end).toString("latin1");
    const rest = buffered.subarray(end + 4);
    const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]/.exec(head);
    if (!m) {
      client.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    client.pause();
    tunnel(client, m[1]!, Number(m[2]), rest, () => {
      client.write("HTTP/1.1 200 Connection established\r\n\r\n");
      client.resume();
    });
  };
  client.on("data", onData);
}

/** RFC 1928 (CONNECT only) with RFC 1929 username/password when `auth` is given. */
function socks5(client: net.Socket, tunnel: Tunnel, auth?: { user: string; pass: string }): void {
  let buffered = Buffer.alloc(0);
  let stage: "greeting" | "auth" | "request" = "greeting";
  const onData = (c: Buffer) => {
    buffered = Buffer.concat([buffered, c]);
    for (;;) {
      if (stage === "greeting") {
        if (buffered.length < 2 || buffered.length < 2 + buffered[1]!) return;
        const methods = [...buffered.subarray(2, 2 + buffered[1]!)];
        buffered = buffered.subarray(2 + buffered[1]!);
        const wanted = auth ? 0x02 : 0x00;
        if (!methods.includes(wanted)) {
          client.end(Buffer.from([0x05, 0xff]));
          return;
        }
        client.write(Buffer.from([0x05, wanted]));
        stage = auth ? "auth" : "request";
      } else if (stage === "auth") {
        if (buffered.length < 2) return;
        const ulen = buffered[1]!;
        if (buffered.length < 3 + ulen) return;
        const plen = buffered[2 + ulen]!;
        if (buffered.length < 3 + ulen + plen) return;
        const user = buffered.subarray(2, 2 + ulen).toString();
        const pass = buffered.subarray(3 + ulen, 3 + ulen + plen).toString();
        buffered = buffered.subarray(3 + ulen + plen);
        const ok = user === auth!.user && pass === auth!.pass;
        client.write(Buffer.from([0x01, ok ? 0x00 : 0x01]));
        if (!ok) return void client.end();
        stage = "request";
      } else {
        if (buffered.length < 5) return;
        const atyp = buffered[3]!;
        const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : 1 + buffered[4]!;
        if (buffered.length < 4 + addrLen + 2) return;
        let host: string;
        if (atyp === 0x01) host = [...buffered.subarray(4, 8)].join(".");
        else if (atyp === 0x03) host = buffered.subarray(5, 5 + buffered[4]!).toString();
        else host = (buffered.subarray(4, 20).toString("hex").match(/.{4}/g) ?? []).join(":");
        const port = buffered.readUInt16BE(4 + addrLen);
        const rest = buffered.subarray(4 + addrLen + 2);
        client.off("data", onData);
        client.pause();
        tunnel(client, host, port, rest, () => {
          client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0, 0]));
          client.resume();
        });
        return;
      }
    }
  };
  client.on("data", onData);
}

/**
 * Follows an HTTP/1.1 request stream (keep-alive: many requests one after another) and reports
 * each request line; bodies are skipped by Content-Length or chunked encoding, never scanned.
 */
function requestSniffer(onRequest: (method: string, path: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let state: { kind: "head" } | { kind: "body"; left: number } | { kind: "chunk-size" } | { kind: "chunk"; left: number } | { kind: "trailer" } = { kind: "head" };
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (state.kind === "head") {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        buf = buf.subarray(end + 4);
        const [method, path] = lines[0]!.split(" ");
        onRequest(method!, path!);
        const header = (name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
        if (header("transfer-encoding")?.toLowerCase().includes("chunked")) state = { kind: "chunk-size" };
        else state = { kind: "body", left: Number(header("content-length") ?? 0) };
      } else if (state.kind === "body") {
        const take = Math.min(state.left, buf.length);
        buf = buf.subarray(take);
        state.left -= take;
        if (state.left > 0) return;
        state = { kind: "head" };
      } else if (state.kind === "chunk-size") {
        const end = buf.indexOf("\r\n");
        if (end < 0) return;
        const size = Number.parseInt(buf.subarray(0, end).toString("latin1"), 16);
        buf = buf.subarray(end + 2);
        state = size === 0 ? { kind: "trailer" } : { kind: "chunk", left: size + 2 };
      } else if (state.kind === "chunk") {
        const take = Math.min(state.left, buf.length);
        buf = buf.subarray(take);
        state.left -= take;
        if (state.left > 0) return;
        state = { kind: "chunk-size" };
      } else {
        const end = buf.indexOf("\r\n");
        if (end < 0) return;
        const line = buf.subarray(0, end);
        buf = buf.subarray(end + 2);
        if (line.length === 0) state = { kind: "head" };
      }
    }
  };
}
