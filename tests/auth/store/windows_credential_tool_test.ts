/**
 * The Windows Credential Manager tool: its pure parts (the encoded script, the request lines, the output,
 * the records of a set of credentials, parts of 2560 bytes) everywhere, and a real round trip through
 * PowerShell on Windows (skipped elsewhere, with the reason).
 */

import assert from "node:assert/strict";
import {
  CREDENTIAL_SCRIPT,
  credentialRequests,
  encodeCommand,
  MAX_CREDENTIAL_BLOB_BYTES,
  parseCredentialOutput,
  POWERSHELL,
  secretsOfCredentials,
  staleRequests,
  windowsCredentialTool,
  writeRequests,
} from "../../../src/auth/store/windows_credential_tool.ts";
import { layoutSecret } from "../../../src/auth/store/_keychain_parts.ts";
import { KeychainUnavailableError } from "../../../src/auth/store/_keychain_run.ts";
import { keychainUnderTest, ROUND_TRIP_OK, toolRoundTrip } from "./_keychain.ts";
import { withTempDir } from "./_helpers.ts";

const text = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => text(s).toBase64();

Deno.test("encodeCommand: base64 of the script's UTF-16LE text, as -EncodedCommand takes it", () => {
  const encoded = encodeCommand(CREDENTIAL_SCRIPT);
  const bytes = Uint8Array.fromBase64(encoded);
  assert.equal(new TextDecoder("utf-16le").decode(bytes), CREDENTIAL_SCRIPT);
  assert.equal(
    encodeCommand("é€𝄞"),
    new Uint8Array([0xe9, 0, 0xac, 0x20, 0x34, 0xd8, 0x1e, 0xdd]).toBase64(),
  );
  // Windows command lines end at 32767 characters.
  assert.ok(encoded.length < 30_000, `${encoded.length} characters`);
});

Deno.test("the script: the five advapi32 calls, secrets only from stdin, machine-readable output", () => {
  for (const call of ["CredReadW", "CredWriteW", "CredDeleteW", "CredEnumerateW", "CredFree"]) {
    assert.ok(CREDENTIAL_SCRIPT.includes(call), call);
  }
  assert.match(CREDENTIAL_SCRIPT, /\[Console\]::In\.ReadToEnd\(\)/);
  assert.match(CREDENTIAL_SCRIPT, /const uint LocalMachine = 2;/); // CRED_PERSIST_LOCAL_MACHINE
  assert.match(CREDENTIAL_SCRIPT, /const uint Generic = 1;/); // CRED_TYPE_GENERIC
  // A here-string ends only at a line that starts with '@: the C# must not hold one.
  assert.equal(CREDENTIAL_SCRIPT.match(/^'@/gm)?.length, 1);
  assert.ok(!CREDENTIAL_SCRIPT.includes("${"), "a template placeholder reached the script");
});

Deno.test("credentialRequests: one line per request, blobs and comments in base64, targets checked", () => {
  assert.equal(
    credentialRequests([
      { op: "read", target: "mcp-bridge/k1" },
      { op: "enum", filter: "mcp-bridge/k1/*" },
      {
        op: "write",
        target: "mcp-bridge/k1/0a1b2c3d/0",
        blob: text("{é}"),
        comment: "mcp-bridge credentials k1",
      },
      { op: "delete", target: "mcp-bridge/k1" },
      { op: "prune", prefix: "mcp-bridge/k1/" },
    ]),
    [
      "read mcp-bridge/k1",
      "enum mcp-bridge/k1/*",
      `write mcp-bridge/k1/0a1b2c3d/0 ${b64("{é}")} ${b64("mcp-bridge credentials k1")}`,
      "delete mcp-bridge/k1",
      "prune mcp-bridge/k1/",
      "",
    ].join("\n"),
  );
  for (const bad of ["a b", "a\nwrite x", "a,b", "a*b", "", "a\\b", "é"]) {
    assert.throws(() => credentialRequests([{ op: "delete", target: bad }]), TypeError, JSON.stringify(bad));
  }
});

Deno.test("writeRequests: the old credential read first, the new parts, then the account's credential", () => {
  const layout = layoutSecret("k1", new Uint8Array(6000), "0a1b2c3d", {
    partBytes: MAX_CREDENTIAL_BLOB_BYTES,
  });
  const requests = writeRequests("k1", layout, "mcp-bridge credentials k1");
  assert.deepEqual(requests.map((r) => [r.op, "target" in r ? r.target : ""]), [
    ["read", "mcp-bridge/k1"],
    ["write", "mcp-bridge/k1/0a1b2c3d/0"],
    ["write", "mcp-bridge/k1/0a1b2c3d/1"],
    ["write", "mcp-bridge/k1/0a1b2c3d/2"],
    ["write", "mcp-bridge/k1"],
  ]);
  const last = requests.at(-1)!;
  assert.ok(
    last.op === "write" && new TextDecoder().decode(last.blob) === "mcp-bridge-parts:1:0a1b2c3d:3:6000",
  );
  // A record that fits: the read and one write.
  const small = layoutSecret("k1", text("{}"), "0a1b2c3d", { partBytes: MAX_CREDENTIAL_BLOB_BYTES });
  assert.deepEqual(writeRequests("k1", small, "l").map((r) => r.op), ["read", "write"]);
  assert.throws(() => writeRequests("k1 x", small, "l"), TypeError);
});

Deno.test("staleRequests: only the parts the old credential named go, never a racing writer's", () => {
  const now = layoutSecret("k1", new Uint8Array(3000), "0a1b2c3d", { partBytes: MAX_CREDENTIAL_BLOB_BYTES });
  assert.deepEqual(staleRequests("k1", text("mcp-bridge-parts:1:ffffffff:3:6000"), now), [
    { op: "delete", target: "mcp-bridge/k1/ffffffff/0" },
    { op: "delete", target: "mcp-bridge/k1/ffffffff/1" },
    { op: "delete", target: "mcp-bridge/k1/ffffffff/2" },
  ]);
  // The same generation (written again): nothing of it goes; a whole record, or none: nothing to delete.
  assert.deepEqual(staleRequests("k1", text("mcp-bridge-parts:1:0a1b2c3d:2:3000"), now), []);
  assert.deepEqual(staleRequests("k1", text('{"version":1}'), now), []);
  assert.deepEqual(staleRequests("k1", undefined, now), []);
});

Deno.test("parseCredentialOutput: credentials by target, done, the error; CRLF, BOM and PowerShell's own lines", () => {
  const out = parseCredentialOutput(
    `\uFEFFc ${b64("mcp-bridge/k1")} ${b64("{}")}\r\n#< CLIXML\r\nc ${b64("mcp-bridge/k2")} \r\n` +
      `c not*base64 AAAA\r\ndone\r\n`,
  );
  assert.deepEqual([...out.credentials.keys()], ["mcp-bridge/k1", "mcp-bridge/k2"]);
  assert.equal(new TextDecoder().decode(out.credentials.get("mcp-bridge/k1")), "{}");
  assert.equal(out.credentials.get("mcp-bridge/k2")!.length, 0);
  assert.equal(out.done, true);
  assert.equal(out.error, undefined);
  const failed = parseCredentialOutput(
    `error ${b64('Exception calling "Write": CredWrite: Access is denied (5)')}\r\n`,
  );
  assert.equal(failed.done, false);
  assert.equal(failed.error, 'Exception calling "Write": CredWrite: Access is denied (5)');
  assert.equal(parseCredentialOutput("").done, false);
});

Deno.test("secretsOfCredentials: records of 2560-byte parts join back to the same UTF-8 text", () => {
  const secret = JSON.stringify({ version: 1, id_token: "é€𝄞".repeat(700) + "x".repeat(3000) });
  const layout = layoutSecret("k1", text(secret), "0a1b2c3d", { partBytes: MAX_CREDENTIAL_BLOB_BYTES });
  assert.ok(layout.parts.length > 2);
  for (const part of layout.parts) assert.ok(part.data.length <= MAX_CREDENTIAL_BLOB_BYTES);
  const credentials = new Map<string, Uint8Array>([
    ["mcp-bridge/k1", layout.head],
    ...layout.parts.map((p): [string, Uint8Array] => [`mcp-bridge/${p.name}`, p.data]),
    // A stale part of an older generation, and another account's credential: neither changes k1.
    ["mcp-bridge/k1/ffffffff/0", text("stale")],
    ["mcp-bridge/k2", text('{"version":1}')],
  ]);
  const found = secretsOfCredentials(credentials);
  assert.deepEqual(found.items, [{ account: "k1", secret }, { account: "k2", secret: '{"version":1}' }]);
  assert.deepEqual(found.broken, []);
  credentials.delete(`mcp-bridge/${layout.parts[1]!.name}`);
  assert.deepEqual(secretsOfCredentials(credentials).broken, ["k1"]);
});

Deno.test("windowsCredentialTool: a record past 64 KiB is refused before PowerShell runs; accounts are store keys", async () => {
  const tool = windowsCredentialTool();
  assert.equal(tool.program, POWERSHELL);
  assert.equal(tool.program, "powershell.exe");
  await assert.rejects(
    tool.set("k1", "x".repeat(64 * 1024 + 1), "mcp-bridge credentials"),
    (e: Error) =>
      e instanceof KeychainUnavailableError &&
      e.message === "Cannot write to the Windows Credential Manager: the record is larger than 65536 bytes",
  );
  await assert.rejects(tool.get("a/b"), TypeError);
  await assert.rejects(tool.delete("a b"), TypeError);
});

const TOOL_URL = new URL("../../../src/auth/store/windows_credential_tool.ts", import.meta.url).href;
const RUN_URL = new URL("../../../src/auth/store/_keychain_run.ts", import.meta.url).href;
const keychain = keychainUnderTest();
const onWindows = Deno.build.os === "windows" && keychain.missing === undefined;
const skipNote = Deno.build.os !== "windows"
  ? ` (skipped: the Credential Manager is Windows's, this is ${Deno.build.os})`
  : keychain.missing
  ? ` (skipped: ${keychain.missing})`
  : "";

Deno.test(
  `windowsCredentialTool: stores, reads, lists and deletes for real, in parts past 2560 bytes${skipNote}`,
  {
    ignore: !onWindows,
  },
  async () => {
    await withTempDir(async (dir) => {
      // Non-ASCII on purpose: the Credential Manager keeps UTF-8 bytes, whatever the console's code page.
      const large = JSON.stringify({ version: 1, text: "é€𝄞".repeat(800) + "x".repeat(4000) });
      // The account's parts once the small secret replaced the large one, enumerated with the tool's script.
      const partsLeft = `await (async () => {
        const w = await import(${JSON.stringify(TOOL_URL)});
        const { runKeychainTool } = await import(${JSON.stringify(RUN_URL)});
        const ran = await runKeychainTool(w.POWERSHELL, ["-NoLogo", "-NoProfile", "-NonInteractive",
          "-EncodedCommand", w.encodeCommand(w.CREDENTIAL_SCRIPT)], {
          stdin: w.credentialRequests([{ op: "enum", filter: "mcp-bridge/" + account + "/*" }]),
        });
        const out = w.parseCredentialOutput(ran.stdout);
        if (!out.done) throw new Error("the enumeration failed: " + (out.error ?? ran.stderr));
        return out.credentials.size;
      })()`;
      const seen = await toolRoundTrip(
        dir,
        "windowsCredentialTool",
        "windows_credential_tool.ts",
        POWERSHELL,
        large,
        partsLeft,
      );
      assert.deepEqual(seen, ROUND_TRIP_OK);
    });
  },
);
