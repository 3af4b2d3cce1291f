import assert from "node:assert/strict";
import { LazyAuthHook, type PreparableAuthHook } from "../../src/auth/lazy_hook.ts";
import { mayHaveStoredRecord, serverStoreKey } from "../../src/auth/stored_credentials.ts";
import { FileStore } from "../../src/auth/store/file_store.ts";
import { Logger } from "../../src/log/logger.ts";

const log = new Logger({ level: "silent" });
const parts = {
  serverUrl: new URL("https://mcp.example.com/mcp"),
  auth: { authorizeParams: [] },
  headers: [],
};

Deno.test("mayHaveStoredRecord: false without a record, true once the store holds one for that server", async () => {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp" });
  try {
    assert.equal(await mayHaveStoredRecord(parts, dir), false);
    assert.equal(await mayHaveStoredRecord(parts, `${dir}/missing`), false, "a config dir not made yet");
    await Deno.mkdir(`${dir}/eras`);
    assert.equal(await mayHaveStoredRecord(parts, dir), false, "a config dir holding other things only");
    const store = new FileStore({ dir, log });
    await store.write(await serverStoreKey(parts), { version: 1, server_url: parts.serverUrl.href });
    assert.equal(await mayHaveStoredRecord(parts, dir), true);
    // Another server, or the same one with another header template, is another record.
    assert.equal(
      await mayHaveStoredRecord({ ...parts, serverUrl: new URL("https://other.example/mcp") }, dir),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mayHaveStoredRecord: without a v1/ or the right to read it, false without hashing the store key", async () => {
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".tmp" });
  const digest = crypto.subtle.digest;
  const query = Deno.permissions.querySync;
  let hashes = 0;
  crypto.subtle.digest = (
    ...args: Parameters<typeof digest>
  ) => (hashes++, digest.apply(crypto.subtle, args));
  try {
    await Deno.mkdir(`${dir}/eras`);
    assert.equal(await mayHaveStoredRecord(parts, dir), false);
    assert.equal(hashes, 0, "no v1/: no hash");
    await Deno.mkdir(`${dir}/v1/servers`, { recursive: true });
    assert.equal(await mayHaveStoredRecord(parts, dir), false);
    assert.equal(hashes, 1, "with a v1/, the record's name is computed");
    await new FileStore({ dir, log }).write(await serverStoreKey(parts), {
      version: 1,
      server_url: parts.serverUrl.href,
    });
    // Granted the era memory only: the records cannot be read, so none can be sent.
    Deno.permissions.querySync = (descriptor) =>
      descriptor.name === "read" && "path" in descriptor && String(descriptor.path).includes("/v1")
        ? { state: "prompt" } as Deno.PermissionStatus
        : query.call(Deno.permissions, descriptor);
    hashes = 0;
    assert.equal(await mayHaveStoredRecord(parts, dir), false, "a record this bridge may not read");
    assert.equal(hashes, 0);
    Deno.permissions.querySync = query;
    assert.equal(await mayHaveStoredRecord(parts, dir), true, "the same record, readable");
  } finally {
    crypto.subtle.digest = digest;
    Deno.permissions.querySync = query;
    await Deno.remove(dir, { recursive: true });
  }
});

function fakeClient(calls: string[]): PreparableAuthHook {
  return {
    header: () => (calls.push("header"), Promise.resolve("Bearer t")),
    challenge: () => (calls.push("challenge"), Promise.resolve(true)),
    prepare: () => (calls.push("prepare"), Promise.resolve()),
  };
}

Deno.test("LazyAuthHook: with nothing stored, no OAuth code loads before the first request; a challenge loads it", async () => {
  const calls: string[] = [];
  let loads = 0;
  const hook = new LazyAuthHook(
    () => (loads++, Promise.resolve(fakeClient(calls))),
    log,
    () => Promise.resolve(false),
  );
  // Not known before the store was looked at.
  assert.equal(hook.hasNoCredentials(), false);
  hook.warmUp();
  assert.equal(await hook.header(), undefined);
  // Known now: the exchange sends requests without asking (and without waiting a turn).
  assert.equal(hook.hasNoCredentials(), true);
  assert.equal(await hook.header(), undefined);
  assert.equal(loads, 0, "nothing loaded for a server with nothing stored");
  assert.equal(await hook.challenge(401, 'Bearer resource_metadata="x"', undefined, "initialize"), true);
  assert.equal(loads, 1);
  // Once loaded (a sign-in may have stored tokens), every request asks the client.
  assert.equal(hook.hasNoCredentials(), false);
  assert.equal(await hook.header(), "Bearer t");
  assert.deepEqual(calls, ["challenge", "header"]);
});

Deno.test("LazyAuthHook: a stored record (or a check that fails) loads the client at once", async () => {
  for (const check of [() => Promise.resolve(true), () => Promise.reject(new Error("EACCES"))]) {
    const calls: string[] = [];
    let loads = 0;
    const hook = new LazyAuthHook(() => (loads++, Promise.resolve(fakeClient(calls))), log, check);
    hook.warmUp();
    assert.equal(await hook.header(), "Bearer t");
    assert.equal(hook.hasNoCredentials(), false);
    assert.equal(loads, 1);
    assert.ok(calls.includes("prepare"), "the warm-up prepared the client");
  }
});
