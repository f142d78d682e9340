// A real HTTP forward proxy for tests: answers CONNECT by opening a TCP tunnel to the target (the way
// Squid or a corporate proxy does), counts the tunnels per target, and can require Proxy-Authorization
// or refuse every tunnel. Plain (non-CONNECT) requests get 405: the agent must tunnel everything.
import http from "node:http";
import net from "node:net";

export interface ConnectProxy {
  url: string;
  port: number;
  /** host:port of every tunnel opened, in order. */
  tunnels: string[];
  /** The first line the agent sent inside each tunnel (plain HTTP to the API: "POST /graphql HTTP/1.1", "GET /graphql HTTP/1.1" for the WebSocket upgrade). */
  requests: string[];
  /** Proxy-Authorization headers seen on CONNECT requests (for refused ones too). */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** user:password the proxy requires (407 otherwise). */
  credentials?: string;
  /** Answer every CONNECT with 403 (a proxy whose policy forbids the API). */
  refuse?: boolean;
}

export async function startConnectProxy(options: ProxyOptions = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(405).end("CONNECT only");
  });
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    authorizations.push(req.headers["proxy-authorization"]);
    if (options.refuse) {
      client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const expected = options.credentials
      ? `Basic ${Buffer.from(options.credentials).toString("base64")}`
      : undefined;
    if (expected && req.headers["proxy-authorization"] !== expected) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [host, port] = [
      req.url!.slice(0, req.url!.lastIndexOf(":")),
      req.url!.slice(req.url!.lastIndexOf(":") + 1),
    ];
    const upstream = net.connect(Number(port), host.replace(/^\[|\]$/g, ""), () => {
      tunnels.push(req.url!);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      client.once("data", (chunk: Buffer) => {
        const text = chunk.toString("latin1");
        requests.push(`${text.split("\r\n")[0]}${/^upgrade: websocket/im.test(text) ? " (websocket)" : ""}`);
      });
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    requests,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
