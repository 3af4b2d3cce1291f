import assert from "node:assert/strict";
import { MemoryStore } from "../../../src/auth/store/memory_store.ts";
import { LockTimeoutError } from "../../../src/auth/store/lock.ts";
import type { ServerRecord } from "../../../src/auth/types.ts";

const RECORD: ServerRecord = {
  version: 1,
  server_url: "https://mcp.example/mcp",
  tokens: { access_token: "at", token_type: "Bearer", obtained_at: 1 },
};

Deno.test("MemoryStore round-trips records as copies", async () => {
  const store = new MemoryStore();
  assert.equal(await store.read("k"), undefined);
  const record = structuredClone(RECORD);
  await store.write("k", record);
  record.server_url = "changed after write";
  const read = await store.read("k");
  assert.deepEqual(read, RECORD);
  read!.server_url = "changed after read";
  assert.deepEqual(await store.read("k"), RECORD);
});

Deno.test("MemoryStore deletes (absent is fine) and lists sorted by key", async () => {
  const store = new MemoryStore();
  await store.delete("absent");
  await store.write("b", RECORD);
  await store.write("a", { ...RECORD, server_url: "https://a.example/mcp" });
  assert.deepEqual((await store.list()).map((e) => [e.key, e.record.server_url]), [
    ["a", "https://a.example/mcp"],
    ["b", "https://mcp.example/mcp"],
  ]);
  await store.delete("a");
  assert.deepEqual((await store.list()).map((e) => e.key), ["b"]);
});

Deno.test("MemoryStore rejects keys and lock names that are not file-name safe", async () => {
  const store = new MemoryStore();
  await assert.rejects(() => store.read("../x"), TypeError);
  await assert.rejects(() => store.write("a.b", RECORD), TypeError);
  await assert.rejects(() => store.withLock("k", "sign.in", 10, () => Promise.resolve()), TypeError);
});

Deno.test("MemoryStore.withLock excludes callers of the same key and name, in order", async () => {
  const store = new MemoryStore();
  const events: string[] = [];
  const task = (id: number) =>
    store.withLock("k", "refresh", 5_000, async () => {
      events.push(`start ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${id}`);
      return id;
    });
  assert.deepEqual(await Promise.all([task(1), task(2), task(3)]), [1, 2, 3]);
  assert.deepEqual(events, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
});

Deno.test("MemoryStore.withLock does not block other names or keys", async () => {
  const store = new MemoryStore();
  let release!: () => void;
  const held = store.withLock("k", "signin", 1_000, () => new Promise<void>((r) => release = r));
  assert.equal(await store.withLock("k", "refresh", 0, () => Promise.resolve("other name")), "other name");
  assert.equal(await store.withLock("k2", "signin", 0, () => Promise.resolve("other key")), "other key");
  release();
  await held;
});

Deno.test("MemoryStore.withLock times out naming the lock, and releases after a throw", async () => {
  const store = new MemoryStore();
  let release!: () => void;
  const held = store.withLock("k", "signin", 1_000, () => new Promise<void>((r) => release = r));
  await assert.rejects(
    () => store.withLock("k", "signin", 30, () => Promise.resolve()),
    (error: unknown) => {
      assert.ok(error instanceof LockTimeoutError);
      assert.match(
        error.message,
        /^Cannot take lock k\.signin within 30 ms: held by this process \(pid \d+\)$/,
      );
      return true;
    },
  );
  release();
  await held;
  await assert.rejects(
    () => store.withLock("k", "signin", 0, () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await store.withLock("k", "signin", 0, () => Promise.resolve(1)), 1);
});
