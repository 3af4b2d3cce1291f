/**
 * The keychain tools of `keychain_tool.ts`: the parsers of `secret-tool` and `security` output, the
 * `security -i` command line, the checks made before a tool runs (everywhere), and a real round trip
 * through `security` on macOS (skipped elsewhere, with the reason).
 */

import assert from "node:assert/strict";
import {
  accountsOfDump,
  accountsOfSearch,
  keychainToolFor,
  MACOS_PART_BYTES,
  macosSecurityTool,
  partAccountsOfDump,
  securityAddLine,
} from "../../../src/auth/store/keychain_tool.ts";
import { KeychainUnavailableError } from "../../../src/auth/store/_keychain_run.ts";
import { layoutSecret } from "../../../src/auth/store/_keychain_parts.ts";
import { keychainUnderTest, ROUND_TRIP_OK, toolRoundTrip } from "./_keychain.ts";
import { withTempDir } from "./_helpers.ts";

Deno.test("accountsOfSearch: the accounts of secret-tool's listing, from either stream, once each", () => {
  const stdout = '[/1]\nlabel = a\nsecret = {"version":1}\n[/2]\nlabel = b\nsecret = x\n';
  const stderr =
    "attribute.account = k1\nattribute.service = mcp-bridge\nattribute.account = k2\nattribute.account = k1\n";
  assert.deepEqual(accountsOfSearch(`${stdout}\n${stderr}`), ["k1", "k2"]);
  assert.deepEqual(accountsOfSearch(stdout), []);
});

/**
 * `security dump-keychain` as keychain_utilities.c prints it (print_keychain_item_attributes): a
 * `keychain:` line, `version:`, `class:` (a four-character code in quotes, or hex for keys), then each
 * attribute in the order of the class's schema. A value of printable ASCII is quoted; one with any other
 * byte is hex, then two spaces and the quoted text with octal escapes; a four-byte tag that is not
 * printable (0x00000007, the label) is hex and a space.
 */
const DUMP = `keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3"
    "cdat"<timedate>=0x32303236313230343130333030305A00  "20261204103000Z\\000"
    "crtr"<uint32>=<NULL>
    "cusi"<sint32>=<NULL>
    "desc"<blob>=<NULL>
    "gena"<blob>=<NULL>
    "icmt"<blob>=<NULL>
    "invi"<sint32>=<NULL>
    "mdat"<timedate>=0x32303236313230343130333030305A00  "20261204103000Z\\000"
    "nega"<sint32>=<NULL>
    "prot"<blob>=<NULL>
    "scrp"<sint32>=<NULL>
    "svce"<blob>="mcp-bridge"
    "type"<uint32>=<NULL>
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3/0a1b2c3d/0"
    "cdat"<timedate>=0x32303236313230343130333030305A00  "20261204103000Z\\000"
    "svce"<blob>="mcp-bridge"
    "type"<uint32>=<NULL>
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="Chrome Safe Storage"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="Chrome"
    "cdat"<timedate>=0x32303236303930313130303030305A00  "20260901100000Z\\000"
    "svce"<blob>="Chrome Safe Storage"
    "type"<uint32>=<NULL>
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge"
    "acct"<blob>=0x61620A6364  "ab\\012cd"
    "svce"<blob>="mcp-bridge"
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "inet"
attributes:
    0x00000007 <blob>="github.com"
    0x00000008 <blob>=<NULL>
    "acct"<blob>="octocat"
    "atyp"<blob>="dflt"
    "path"<blob>=<NULL>
    "port"<uint32>=0x00000000 
    "ptcl"<uint32>="htps"
    "srvr"<blob>="github.com"
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: 0x0000000F 
attributes:
    0x00000000 <uint32>=0x0000000F 
    0x00000001 <blob>="mcp-bridge"
    0x00000002 <blob>=<NULL>
keychain: "/Library/Keychains/System.keychain"
version: 256
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge-other"
    "acct"<blob>="3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c4"
    "svce"<blob>="mcp-bridge-other"
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge"
    "acct"<blob>="0123456789abcdef0123456789abcdef"
    "svce"<blob>="mcp-bridge"
keychain: "/Users/runner/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="mcp-bridge"
    "acct"<blob>="3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3"
    "svce"<blob>="mcp-bridge"
`;

Deno.test("partAccountsOfDump: every part of one record in the keychain, of any generation, and nothing else", () => {
  const key = "3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3";
  assert.deepEqual(partAccountsOfDump(DUMP, key), [`${key}/0a1b2c3d/0`]);
  const stale = DUMP + 'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="' + key +
    '/ffffffff/12"\n    "svce"<blob>="mcp-bridge"\n';
  assert.deepEqual(partAccountsOfDump(stale, key), [`${key}/0a1b2c3d/0`, `${key}/ffffffff/12`]);
  assert.deepEqual(partAccountsOfDump(DUMP, "0123456789abcdef0123456789abcdef"), []);
  assert.deepEqual(partAccountsOfDump(DUMP, key.slice(0, 31)), [], "a prefix of another key");
});

Deno.test("accountsOfDump: the store keys of mcp-bridge's generic passwords in security dump-keychain, once each", () => {
  assert.deepEqual(accountsOfDump(DUMP), [
    "3f2a9c0d1e2f3a4b5c6d7e8f90a1b2c3",
    "0123456789abcdef0123456789abcdef",
  ]);
  assert.deepEqual(accountsOfDump(DUMP.replaceAll("\n", "\r\n")), accountsOfDump(DUMP));
  assert.deepEqual(accountsOfDump(""), []);
  // The attributes of the previous item never carry over to the next.
  const headless = 'keychain: "/k"\nclass: "genp"\nattributes:\n    "svce"<blob>="mcp-bridge"\n' +
    'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="k1"\n';
  assert.deepEqual(accountsOfDump(headless), []);
});

Deno.test("securityAddLine: letters, digits, _ - / and hex only; no word can be split, quoted or added", () => {
  assert.equal(
    securityAddLine("3f2a9c", new TextEncoder().encode('{"a":"b c"}')),
    "add-generic-password -U -s mcp-bridge -a 3f2a9c -l mcp-bridge -X 7b2261223a22622063227d\n",
  );
  // A store key may start with "-": getopt takes the word after -a as its value whatever it is.
  assert.match(securityAddLine("-U", new Uint8Array([1])), / -a -U -l /);
  assert.match(securityAddLine("k1/0a1b2c3d/12", new Uint8Array([1])), / -a k1\/0a1b2c3d\/12 /);
  assert.equal(
    securityAddLine("k1", new Uint8Array()),
    "add-generic-password -U -s mcp-bridge -a k1 -l mcp-bridge\n",
  );
  for (const bad of ["a b", 'a"b', "a'b", "a\\b", "a\nb", "", "k1/0a1b2c3d", "k1/x/0", "x".repeat(129)]) {
    assert.throws(() => securityAddLine(bad, new Uint8Array([1])), TypeError, JSON.stringify(bad));
  }
});

Deno.test("securityAddLine: a part of the largest size with the longest name fits the 4095 characters security -i reads", () => {
  const line = securityAddLine(`${"x".repeat(128)}/0a1b2c3d/9999`, new Uint8Array(MACOS_PART_BYTES));
  assert.ok(line.length < 4095, `${line.length}`);
  assert.equal(line.split("\n").length, 2);
  assert.throws(() => securityAddLine("k1", new Uint8Array(2000)), RangeError);
  // Every part of a large record fits.
  const { parts } = layoutSecret("x".repeat(128), new Uint8Array(64 * 1024), "0a1b2c3d", {
    partBytes: MACOS_PART_BYTES,
  });
  for (const part of parts) securityAddLine(part.name, part.data);
});

Deno.test("macosSecurityTool: non-ASCII and past 64 KiB are refused before security runs; accounts are store keys", async () => {
  const tool = macosSecurityTool();
  await assert.rejects(
    tool.set("k1", '{"name":"é"}', "mcp-bridge credentials"),
    (e: Error) => e instanceof KeychainUnavailableError && /other than printable ASCII/.test(e.message),
  );
  await assert.rejects(
    tool.set("k1", "line\nbreak", "mcp-bridge credentials"),
    (e: Error) => e instanceof KeychainUnavailableError && /other than printable ASCII/.test(e.message),
  );
  await assert.rejects(
    tool.set("k1", "x".repeat(64 * 1024 + 1), "mcp-bridge credentials"),
    (e: Error) => e instanceof KeychainUnavailableError && /larger than 65536 bytes/.test(e.message),
  );
  await assert.rejects(tool.get("a b"), TypeError);
  await assert.rejects(tool.delete("k1/0a1b2c3d/0"), TypeError);
});

Deno.test("keychainToolFor: secret-tool, security, powershell.exe, and none elsewhere", () => {
  assert.equal(keychainToolFor("linux")?.program, "secret-tool");
  assert.equal(keychainToolFor("darwin")?.program, "security");
  assert.equal(keychainToolFor("windows")?.program, "powershell.exe");
  assert.equal(keychainToolFor("windows")?.label, "Windows Credential Manager");
  assert.equal(keychainToolFor("android"), undefined);
});

const keychain = keychainUnderTest();
const skipNote = Deno.build.os !== "darwin"
  ? ` (skipped: the login keychain is macOS's, this is ${Deno.build.os})`
  : keychain.missing
  ? ` (skipped: ${keychain.missing})`
  : "";

Deno.test(
  `macosSecurityTool: stores, reads, lists and deletes for real, in parts past ${MACOS_PART_BYTES} bytes${skipNote}`,
  {
    ignore: skipNote !== "",
  },
  async () => {
    await withTempDir(async (dir) => {
      const large = JSON.stringify({ version: 1, text: "x".repeat(5000), escaped: "\\u00e9" });
      // The account's parts once the small secret replaced the large one, from the keychain's attributes.
      const partsLeft = `await (async () => {
        const out = await new Deno.Command("security", { args: ["dump-keychain"], stdout: "piped", stderr: "null" })
          .output();
        const lines = new TextDecoder().decode(out.stdout).split(String.fromCharCode(10));
        return lines.filter((line) => line.includes('"acct"<blob>="' + account + "/")).length;
      })()`;
      const seen = await toolRoundTrip(
        dir,
        "macosSecurityTool",
        "keychain_tool.ts",
        "security",
        large,
        partsLeft,
      );
      assert.deepEqual(seen, ROUND_TRIP_OK);
    });
  },
);
