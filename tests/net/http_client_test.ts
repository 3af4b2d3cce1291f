import assert from "node:assert/strict";
import { createNetworkFetch, parseProxy } from "../../src/net/http_client.ts";
import { describeNetworkSetupFailure } from "../../src/transport/http_errors.ts";

Deno.test("parseProxy() takes http, https and socks5 proxies, and moves credentials out of the URL", () => {
  assert.deepEqual(parseProxy("http://proxy.corp:3128"), {
    transport: "http",
    url: "http://proxy.corp:3128/",
  });
  assert.deepEqual(parseProxy("https://proxy.corp"), { transport: "https", url: "https://proxy.corp/" });
  assert.deepEqual(parseProxy("socks5h://127.0.0.1:1080"), {
    transport: "socks5",
    url: "socks5h://127.0.0.1:1080",
  });
  assert.deepEqual(parseProxy("http://a%20b:p%3Aw@proxy:8080").basicAuth, {
    username: "a b",
    password: "p:w",
  });
  assert.throws(() => parseProxy("proxy.corp:3128"), /scheme must be http, https, socks5 or socks5h/);
  assert.throws(() => parseProxy("not a url"), /not an absolute URL/);
  assert.throws(
    () => parseProxy("http://user:s3cret@proxy:99999"),
    (e: Error) => /"http:\/\/\*\*\*@proxy:99999"/.test(e.message) && !e.message.includes("s3cret"),
  );
});

Deno.test("createNetworkFetch() checks the files it is given", () => {
  const secrets: string[] = [];
  const files: Record<string, string> = {
    "/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "/junk.pem": "not a certificate",
    "/key.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
  };
  const read = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new TypeError(`missing ${path}`);
    return text;
  };
  const plain = createNetworkFetch({}, read, (s) => secrets.push(s));
  plain.close();
  assert.throws(
    () => createNetworkFetch({ caFile: "/junk.pem" }, read, () => {}),
    /Cannot use --ca-file \/junk\.pem: it holds no PEM certificate/,
  );
  assert.throws(
    () => createNetworkFetch({ clientCert: "/ca.pem" }, read, () => {}),
    /--client-cert and --client-key go together/,
  );
  assert.throws(
    () => createNetworkFetch({ clientCert: "/ca.pem", clientKey: "/junk.pem" }, read, () => {}),
    /Cannot use --client-key \/junk\.pem: it holds no PEM private key/,
  );
  // The key is a secret before anything else can print it (the runtime then refuses this fake one).
  assert.throws(
    () => createNetworkFetch({ clientCert: "/ca.pem", clientKey: "/key.pem" }, read, (s) => secrets.push(s)),
    /Cannot use --client-cert\/--client-key/,
  );
  assert.deepEqual(secrets, [files["/key.pem"]]);
});

Deno.test("describeNetworkSetupFailure() names the flag for each failure no retry can fix, and nothing else", () => {
  const host = "mcp.corp:443";
  assert.match(describeNetworkSetupFailure(host, "invalid peer certificate: UnknownIssuer")!, /--ca-file/);
  assert.match(
    describeNetworkSetupFailure(host, "invalid peer certificate: NotValidForName")!,
    /not for that name/,
  );
  assert.match(
    describeNetworkSetupFailure(host, "invalid peer certificate: Expired")!,
    /expired or not yet valid/,
  );
  assert.match(
    describeNetworkSetupFailure(host, "received fatal alert: CertificateRequired")!,
    /--client-cert <pem> and --client-key <pem>/,
  );
  assert.match(
    describeNetworkSetupFailure(host, "received fatal alert: BadCertificate")!,
    /refused the client certificate/,
  );
  assert.match(
    describeNetworkSetupFailure(host, "client error (Connect): proxy authentication required")!,
    /407/,
  );
  for (
    const outage of ["tcp connect error: Connection refused (os error 111)", "dns error: failed to lookup"]
  ) {
    assert.equal(describeNetworkSetupFailure(host, outage), undefined, outage);
  }
});

Deno.test("createNetworkFetch(): requests share pooled connections; renew() and fresh open new ones", async () => {
  const ports: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (_req, info) => {
    ports.push((info.remoteAddr as Deno.NetAddr).port);
    return new Response("ok");
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  for (const settings of [{}, { ipv4: true }]) {
    ports.length = 0;
    const network = createNetworkFetch(settings, () => "", () => {});
    try {
      const get = async (send: typeof fetch) => await (await send(url)).text();
      await get(network.fetch);
      await get(network.fetch);
      assert.equal(new Set(ports).size, 1, "the second request reuses the pooled connection");
      network.renew();
      await get(network.fetch);
      assert.equal(new Set(ports).size, 2, "renew() drops the pool");
      await get(network.fetch);
      assert.equal(new Set(ports).size, 2, "the new pool is used again");
      await get(network.fresh);
      await get(network.fresh);
      assert.equal(new Set(ports).size, 4, "fresh opens a connection per request");
    } finally {
      network.close();
    }
  }
  await server.shutdown();
});
