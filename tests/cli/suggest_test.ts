import assert from "node:assert/strict";
import { didYouMean, editDistance, urlWithScheme } from "../../src/cli/suggest.ts";

const COMMANDS = ["client", "login", "logout", "status", "help"];

Deno.test("editDistance() counts insertions, deletions, substitutions and swaps of neighbours", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("header", "header"), 0);
  assert.equal(editDistance("heder", "header"), 1, "one insertion");
  assert.equal(editDistance("headers", "header"), 1, "one deletion");
  assert.equal(editDistance("hexder", "header"), 1, "one substitution");
  assert.equal(editDistance("clinet", "client"), 1, "one swap");
  assert.equal(editDistance("kitten", "sitting"), 3);
});

Deno.test("didYouMean() finds the closest known word, and nothing when none is close", () => {
  assert.equal(didYouMean("clinet", COMMANDS), "client");
  assert.equal(didYouMean("lgoin", COMMANDS), "login");
  assert.equal(didYouMean("logut", COMMANDS), "logout");
  assert.equal(didYouMean("stats", COMMANDS), "status");
  assert.equal(didYouMean("hlep", COMMANDS), "help");
  assert.equal(didYouMean("CLIENT", COMMANDS), "client", "case is ignored");
  assert.equal(didYouMean("deploy", COMMANDS), undefined);
  assert.equal(didYouMean("x", COMMANDS), undefined);
  assert.equal(didYouMean("heder", ["header", "header-file", "debug"]), "header");
  assert.equal(didYouMean("conect-timeout", ["connect-timeout", "headers-timeout"]), "connect-timeout");
});

Deno.test("urlWithScheme() puts https:// (http:// on loopback) in front of an address without a scheme", () => {
  assert.equal(urlWithScheme("example.com/mcp"), "https://example.com/mcp");
  assert.equal(urlWithScheme("mcp.example.com"), "https://mcp.example.com");
  assert.equal(urlWithScheme("example.com:8443/mcp"), "https://example.com:8443/mcp");
  assert.equal(urlWithScheme("localhost:3000/mcp"), "http://localhost:3000/mcp");
  assert.equal(urlWithScheme("127.0.0.1:8080/sse"), "http://127.0.0.1:8080/sse");
  assert.equal(urlWithScheme("[::1]:9000/mcp"), "http://[::1]:9000/mcp");
});

Deno.test("urlWithScheme() suggests nothing for a URL with a scheme, a word, or a path", () => {
  for (const text of ["https://example.com/mcp", "ftp://example.com/x", "clinet", "mcp", "/mcp", "a b.com"]) {
    assert.equal(urlWithScheme(text), undefined, text);
  }
});
