import assert from "node:assert/strict";
import { join } from "node:path";
import { FileStore } from "../../../src/auth/store/file_store.ts";
import { LockTimeoutError, parseLockRecord, probePid } from "../../../src/auth/store/lock.ts";
import {
  captureLogger,
  deadPid,
  FILE_STORE_URL,
  LOCK_URL,
  LOGGER_URL,
  runScript,
  withTempDir,
} from "./_helpers.ts";

function lockPath(dir: string, key = "k1", name = "signin"): string {
  return join(dir, "v1", "locks", `${key}.${name}.lock`);
}

async function plantLock(dir: string, record: Record<string, unknown>, key = "k1", name = "signin") {
  await Deno.mkdir(join(dir, "v1", "locks"), { recursive: true });
  await Deno.writeTextFile(lockPath(dir, key, name), JSON.stringify(record));
}

/** Checks that `start`/`end` markers never interleave. */
function assertNoInterleaving(lines: string[], expectedRounds: number): void {
  assert.equal(lines.length, expectedRounds * 2, lines.join("\n"));
  for (let i = 0; i < lines.length; i += 2) {
    const [startWord, startId] = lines[i].split(" ");
    const [endWord, endId] = lines[i + 1].split(" ");
    assert.equal(startWord, "start", `line ${i}: ${lines.join("\n")}`);
    assert.equal(endWord, "end", `line ${i + 1}: ${lines.join("\n")}`);
    assert.equal(startId, endId, `lines ${i}-${i + 1}: ${lines.join("\n")}`);
  }
}

Deno.test("FileStore.withLock excludes concurrent callers in one process and cleans up", async () => {
  await withTempDir(async (dir) => {
    const { log, lines: logLines } = captureLogger();
    const stores = [new FileStore({ dir, log }), new FileStore({ dir, log })];
    const events: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        stores[i % 2].withLock("k1", "refresh", 5_000, async () => {
          events.push(`start ${i}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
          events.push(`end ${i}`);
        })),
    );
    assertNoInterleaving(events, 6);
    const left: string[] = [];
    for await (const entry of Deno.readDir(join(dir, "v1", "locks"))) left.push(entry.name);
    assert.deepEqual(left, []);
    assert.deepEqual(logLines, []);
  });
});

Deno.test("FileStore.withLock: other names and keys do not block; a throw releases", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log });
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => entered = r);
    const held = store.withLock("k1", "signin", 1_000, () => {
      entered();
      return new Promise<void>((r) => release = r);
    });
    await inside;
    assert.equal(await store.withLock("k1", "refresh", 0, () => Promise.resolve(1)), 1);
    assert.equal(await store.withLock("k2", "signin", 0, () => Promise.resolve(2)), 2);
    release();
    await held;
    await assert.rejects(
      () => store.withLock("k1", "signin", 0, () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(await store.withLock("k1", "signin", 0, () => Promise.resolve(3)), 3);
  });
});

Deno.test("FileStore.withLock times out in-process naming this process's pid", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log, pid: 4242 });
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => entered = r);
    const held = store.withLock("k1", "signin", 1_000, () => {
      entered();
      return new Promise<void>((r) => release = r);
    });
    await inside;
    await assert.rejects(
      () => store.withLock("k1", "signin", 50, () => Promise.resolve()),
      (error: unknown) => {
        assert.ok(error instanceof LockTimeoutError);
        assert.equal(error.holderPid, 4242);
        assert.equal(
          error.message,
          `Cannot take lock ${lockPath(dir)} within 50 ms: held by this process (pid 4242)`,
        );
        return true;
      },
    );
    release();
    await held;
  });
});

const HOLDER_SCRIPT = `
import { FileStore } from "${FILE_STORE_URL}";
import { Logger } from "${LOGGER_URL}";
const [dir, marker] = Deno.args;
const store = new FileStore({ dir, log: new Logger({ level: "warn" }), lock: { heartbeatMs: 50 } });
await store.withLock("k1", "signin", 5_000, async () => {
  await Deno.writeTextFile(marker, String(Deno.pid));
  await new Promise((resolve) => setTimeout(resolve, 60_000));
});
`;

Deno.test("A lock held by another process: the error names its pid; once it is killed, it is taken over", async () => {
  await withTempDir(async (dir) => {
    const script = join(dir, "holder.ts");
    const marker = join(dir, "held");
    await Deno.writeTextFile(script, HOLDER_SCRIPT);
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        script,
        dir,
        marker,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const started = performance.now();
      while (true) {
        try {
          await Deno.stat(marker);
          break;
        } catch {
          assert.ok(performance.now() - started < 20_000, "the holder never took the lock");
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
      const { log, lines } = captureLogger();
      const store = new FileStore({ dir, log, lock: { heartbeatMs: 50, abandonedMs: 300 } });
      await assert.rejects(
        () => store.withLock("k1", "signin", 600, () => Promise.resolve()),
        (error: unknown) => {
          assert.ok(error instanceof LockTimeoutError);
          assert.equal(error.holderPid, child.pid);
          assert.match(
            error.message,
            new RegExp(
              `^Cannot take lock .*k1\\.signin\\.lock within 600 ms: held by pid ${child.pid} since `,
            ),
          );
          return true;
        },
      );
      // The live holder's heartbeat kept the lock although abandonedMs (300) < waitMs (600).
      assert.deepEqual(lines, []);

      child.kill("SIGKILL");
      await child.status;
      const before = performance.now();
      assert.equal(await store.withLock("k1", "signin", 5_000, () => Promise.resolve("taken")), "taken");
      assert.ok(performance.now() - before < 3_000, `took ${performance.now() - before} ms`);
      assert.equal(lines.length, 1, lines.join(""));
      assert.match(
        lines[0],
        new RegExp(`Took over lock .*: its owner pid ${child.pid} stopped refreshing it`),
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
    }
  });
});

Deno.test("A lock file left by a dead pid is taken over quickly", async () => {
  await withTempDir(async (dir) => {
    const pid = await deadPid();
    await plantLock(dir, { pid, created_at: Date.now() });
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log, lock: { heartbeatMs: 50, abandonedMs: 250 } });
    const before = performance.now();
    assert.equal(await store.withLock("k1", "signin", 5_000, () => Promise.resolve("ok")), "ok");
    const took = performance.now() - before;
    assert.ok(took < 2_000, `took ${took} ms`);
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`its owner pid ${pid} stopped refreshing it`));
    await assert.rejects(() => Deno.stat(lockPath(dir)), Deno.errors.NotFound);
  });
});

Deno.test("A fresh lock of a live process is not taken over; the timeout names its pid", async () => {
  await withTempDir(async (dir) => {
    const holder = Deno.ppid;
    await plantLock(dir, { pid: holder, created_at: Date.now(), nonce: "n" });
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    await assert.rejects(
      () => store.withLock("k1", "signin", 300, () => Promise.resolve()),
      (error: unknown) =>
        error instanceof LockTimeoutError && error.holderPid === holder &&
        error.message.includes(`held by pid ${holder} since`),
    );
    assert.deepEqual(lines, []);
    assert.equal(parseLockRecord(await Deno.readTextFile(lockPath(dir)))?.pid, holder);
  });
});

Deno.test("A lock older than the staleness limit is taken over (default 10 minutes, configurable)", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    await plantLock(dir, { pid: Deno.ppid, created_at: Date.now() - 11 * 60_000 });
    const store = new FileStore({ dir, log });
    const before = performance.now();
    assert.equal(await store.withLock("k1", "signin", 2_000, () => Promise.resolve(1)), 1);
    assert.ok(performance.now() - before < 1_000);
    assert.match(lines[0], new RegExp(`pid ${Deno.ppid} took it more than 600000 ms ago`));

    await plantLock(dir, { pid: Deno.ppid, created_at: Date.now() });
    const short = new FileStore({ dir, log, lock: { staleMs: 200 } });
    const start = performance.now();
    assert.equal(await short.withLock("k1", "signin", 3_000, () => Promise.resolve(2)), 2);
    const took = performance.now() - start;
    assert.ok(took >= 150 && took < 2_000, `took ${took} ms`);
    assert.equal(lines.length, 2);

    // The clock is injectable.
    await plantLock(dir, { pid: Deno.ppid, created_at: Date.now() });
    const later = new FileStore({ dir, log, now: () => Date.now() + 11 * 60_000 });
    assert.equal(await later.withLock("k1", "signin", 1_000, () => Promise.resolve(3)), 3);
  });
});

Deno.test("An unreadable lock file is respected while fresh, taken over once untouched", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "v1", "locks"), { recursive: true });
    await Deno.writeTextFile(lockPath(dir), "{");
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log, lock: { heartbeatMs: 50, abandonedMs: 200 } });
    assert.equal(await store.withLock("k1", "signin", 3_000, () => Promise.resolve("ok")), "ok");
    assert.match(lines[0], /it is unreadable and untouched for \d+ ms/);
  });
});

Deno.test("Release removes the lock only while this call still owns it", async () => {
  await withTempDir(async (dir) => {
    const { log, lines } = captureLogger();
    const store = new FileStore({ dir, log });
    const intruder = JSON.stringify({ pid: 1, created_at: Date.now(), nonce: "other" });
    await store.withLock("k1", "signin", 1_000, async () => {
      const mine = parseLockRecord(await Deno.readTextFile(lockPath(dir)));
      assert.equal(mine?.pid, Deno.pid);
      assert.equal(typeof mine?.nonce, "string");
      await Deno.writeTextFile(lockPath(dir), intruder);
    });
    assert.equal(await Deno.readTextFile(lockPath(dir)), intruder);
    assert.deepEqual(lines, [
      `[mcp-bridge] warning: Lock ${lockPath(dir)} was taken over by pid 1 while this process held it\n`,
    ]);
  });
});

Deno.test("The holder refreshes its lock's mtime while it runs (heartbeat)", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir, log: captureLogger().log, lock: { heartbeatMs: 20 } });
    await store.withLock("k1", "signin", 1_000, async () => {
      const first = (await Deno.stat(lockPath(dir))).mtime!.getTime();
      await new Promise((resolve) => setTimeout(resolve, 120));
      const second = (await Deno.stat(lockPath(dir))).mtime!.getTime();
      assert.ok(second > first, `${first} → ${second}`);
    });
  });
});

const WORKER_SCRIPT = `
import { FileStore } from "${FILE_STORE_URL}";
import { Logger } from "${LOGGER_URL}";
const [dir, out, rounds] = Deno.args;
const store = new FileStore({ dir, log: new Logger({ level: "error" }) });
for (let i = 0; i < Number(rounds); i++) {
  await store.withLock("shared", "refresh", 30_000, async () => {
    await Deno.writeTextFile(out, "start " + Deno.pid + "\\n", { append: true });
    await new Promise((resolve) => setTimeout(resolve, 15));
    await Deno.writeTextFile(out, "end " + Deno.pid + "\\n", { append: true });
  });
}
`;

Deno.test("Across 4 processes the lock is exclusive, even when they start on a stale lock", async () => {
  await withTempDir(async (dir) => {
    const script = join(dir, "worker.ts");
    const out = join(dir, "markers.txt");
    await Deno.writeTextFile(script, WORKER_SCRIPT);
    // All four start by finding a stale lock: only one may take it over.
    await plantLock(dir, { pid: await deadPid(), created_at: Date.now() - 20 * 60_000 }, "shared", "refresh");
    const rounds = 5;
    const children = Array.from({ length: 4 }, () =>
      new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          script,
          dir,
          out,
          String(rounds),
        ],
        stdout: "null",
        stderr: "piped",
      }).output());
    const results = await Promise.all(children);
    for (const result of results) assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const lines = (await Deno.readTextFile(out)).trimEnd().split("\n");
    assertNoInterleaving(lines, 4 * rounds);
    assert.equal(new Set(lines.map((l) => l.split(" ")[1])).size, 4);
    const left: string[] = [];
    for await (const entry of Deno.readDir(join(dir, "v1", "locks"))) left.push(entry.name);
    assert.deepEqual(left, []);
  });
});

const PROBE_SCRIPT = `
import { probePid } from "${LOCK_URL}";
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify([probePid(Deno.pid), probePid(Number(Deno.args[0]))])));
`;

Deno.test("probePid answers only when /proc is readable (every permission granted)", async () => {
  await withTempDir(async (dir) => {
    const dead = await deadPid();
    // Deno 2 gates /proc behind --allow-all: with exact flags the answer is unknown, never a prompt.
    const exact = await runScript(dir, PROBE_SCRIPT, [`--allow-read=${dir}`], [String(dead)]);
    assert.equal(exact.code, 0, exact.stderr);
    assert.deepEqual(JSON.parse(exact.stdout), ["unknown", "unknown"]);
    assert.equal(probePid(dead), "unknown");
    if (Deno.build.os === "linux") {
      const all = await runScript(dir, PROBE_SCRIPT, ["--allow-all"], [String(dead)]);
      assert.equal(all.code, 0, all.stderr);
      assert.deepEqual(JSON.parse(all.stdout), ["alive", "dead"]);
    }
  });
});
