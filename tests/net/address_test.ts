import assert from "node:assert/strict";
import { addressKind, isLoopbackHost, serverSuppliedUrlProblem } from "../../src/net/address.ts";

Deno.test("isLoopbackHost() accepts localhost, 127.0.0.0/8 and [::1]", () => {
  for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "[::1]"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
});

Deno.test("isLoopbackHost() refuses other hosts", () => {
  for (
    const host of [
      "example.com",
      "localhost.example.com",
      "mylocalhost",
      "128.0.0.1",
      "10.0.0.1",
      "127.0.0.1.example.com",
      "::1",
      "[::2]",
      "0.0.0.0",
      "",
    ]
  ) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

Deno.test("addressKind() classifies IPv4, IPv6 and names", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["0.0.0.0", "loopback"],
    ["localhost", "loopback"],
    ["api.localhost", "loopback"],
    ["[::1]", "loopback"],
    ["[::]", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["169.254.169.254", "link-local"],
    ["[fe80::1]", "link-local"],
    ["[febf::1]", "link-local"],
    ["[fd00:ec2::254]", "link-local"],
    ["[::ffff:a9fe:a9fe]", "link-local"],
    ["100.100.100.200", "link-local"],
    ["metadata.google.internal", "link-local"],
    ["METADATA.GOOGLE.INTERNAL.", "link-local"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["[fd12:3456::1]", "private"],
    ["[::ffff:c0a8:101]", "private"],
    ["[64:ff9b::a9fe:a9fe]", "link-local"],
    ["[64:ff9b:1::a9fe:a9fe]", "link-local"],
    ["[2002:a9fe:a9fe::]", "link-local"],
    ["[64:ff9b::a00:1]", "private"],
    ["[2002:7f00:1::]", "loopback"],
    ["[64:ff9b::808:808]", "public"],
    ["224.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["[ff02::1]", "reserved"],
    ["172.32.0.1", "public"],
    ["8.8.8.8", "public"],
    ["[2001:db8::1]", "public"],
    ["example.com", "public"],
  ];
  for (const [host, kind] of cases) assert.equal(addressKind(host), kind, host);
});

Deno.test("addressKind() sees through the forms URL normalises", () => {
  // The URL parser turns every IPv4 spelling into dotted decimal and IPv6 into its short form.
  for (const spelled of ["http://0x7f.1/", "http://2130706433/", "http://[0:0:0:0:0:ffff:127.0.0.1]/"]) {
    assert.equal(addressKind(new URL(spelled).hostname), "loopback", spelled);
  }
  assert.equal(addressKind(new URL("http://0xa9.0xfe.0xa9.0xfe/").hostname), "link-local");
});

Deno.test("serverSuppliedUrlProblem() allows https to public hosts and refuses other schemes", () => {
  const server = new URL("https://mcp.example.com/mcp");
  assert.equal(serverSuppliedUrlProblem(new URL("https://auth.example.com/x"), server, false), undefined);
  assert.match(serverSuppliedUrlProblem(new URL("http://auth.example.com/x"), server, false)!, /not https/);
  assert.equal(serverSuppliedUrlProblem(new URL("http://auth.example.com/x"), server, true), undefined);
  assert.match(serverSuppliedUrlProblem(new URL("file:///etc/passwd"), server, true)!, /scheme/);
  assert.match(
    serverSuppliedUrlProblem(new URL("https://u:p@auth.example.com/"), server, false)!,
    /credentials/,
  );
});

Deno.test("serverSuppliedUrlProblem() keeps a public server away from loopback, private and metadata", () => {
  const server = new URL("https://mcp.example.com/mcp");
  for (
    const target of [
      "https://127.0.0.1/",
      "https://localhost:8443/",
      "https://[::1]/",
      "https://10.0.0.5/",
      "https://192.168.0.1/",
      "https://169.254.169.254/latest/meta-data/",
      "https://[fe80::1]/",
      "https://metadata.google.internal/",
      "https://224.0.0.1/",
    ]
  ) {
    assert.notEqual(serverSuppliedUrlProblem(new URL(target), server, true), undefined, target);
  }
});

Deno.test("serverSuppliedUrlProblem() lets a loopback server use loopback, over http too, never metadata", () => {
  const server = new URL("http://127.0.0.1:3000/mcp");
  assert.equal(serverSuppliedUrlProblem(new URL("http://127.0.0.1:4000/as"), server, false), undefined);
  assert.equal(serverSuppliedUrlProblem(new URL("http://localhost:4000/as"), server, false), undefined);
  assert.match(serverSuppliedUrlProblem(new URL("http://169.254.169.254/"), server, true)!, /metadata/);
  assert.match(serverSuppliedUrlProblem(new URL("https://10.0.0.1/"), server, true)!, /private/);
});

Deno.test("serverSuppliedUrlProblem() lets a private server use private addresses over https", () => {
  const server = new URL("https://10.1.1.1/mcp");
  assert.equal(serverSuppliedUrlProblem(new URL("https://10.2.2.2/as"), server, false), undefined);
  assert.match(serverSuppliedUrlProblem(new URL("http://10.2.2.2/as"), server, false)!, /not https/);
  assert.equal(serverSuppliedUrlProblem(new URL("http://10.2.2.2/as"), server, true), undefined);
  assert.match(serverSuppliedUrlProblem(new URL("https://127.0.0.1/"), server, true)!, /loopback/);
});
