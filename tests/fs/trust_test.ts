import assert from "node:assert/strict";
import { configDirModeWarning, type TrustInfo, trustProblem } from "../../src/fs/trust.ts";

const FILE: TrustInfo = { isFile: true, isDirectory: false, isSymlink: false, uid: 1000, mode: 0o100600 };
const DIR: TrustInfo = { isFile: false, isDirectory: true, isSymlink: false, uid: 1000, mode: 0o40700 };

Deno.test("trustProblem() accepts the user's own private file and directory", () => {
  assert.equal(trustProblem(FILE, "file", 1000), undefined);
  assert.equal(
    trustProblem({ ...FILE, mode: 0o100644 }, "file", 1000),
    undefined,
    "readable is not writable",
  );
  assert.equal(trustProblem(DIR, "directory", 1000), undefined);
  assert.equal(
    trustProblem({ ...FILE, uid: 5 }, "file", undefined),
    undefined,
    "no expected uid: no owner check",
  );
  assert.equal(trustProblem({ ...FILE, uid: null, mode: null }, "file", 1000), undefined, "Windows");
});

Deno.test("trustProblem() refuses links, other kinds, other owners and writable modes, in that order", () => {
  assert.equal(
    trustProblem({ ...FILE, isFile: false, isSymlink: true, uid: 0 }, "file", 1000),
    "it is a symbolic link, which is not followed",
  );
  assert.equal(trustProblem(DIR, "file", 1000), "it is not a regular file");
  assert.equal(trustProblem(FILE, "directory", 1000), "it is not a directory");
  assert.equal(
    trustProblem({ ...FILE, uid: 65534 }, "file", 1000),
    "it is owned by uid 65534, not by this user (uid 1000)",
  );
  assert.equal(
    trustProblem({ ...FILE, mode: 0o100620 }, "file", 1000),
    "other users can write it (mode 0620)",
  );
  assert.equal(
    trustProblem({ ...FILE, mode: 0o100602 }, "file", 1000),
    "other users can write it (mode 0602)",
  );
});

Deno.test("configDirModeWarning() names the mode and the chmod to run, only when others have access", () => {
  assert.equal(configDirModeWarning("/c", 0o40700), undefined);
  assert.equal(configDirModeWarning("/c", 0o40500), undefined);
  assert.equal(configDirModeWarning("/c", null), undefined);
  assert.equal(
    configDirModeWarning("/c", 0o40750),
    "Config dir /c is open to other users (mode 0750): run chmod 700 '/c'",
  );
  assert.equal(
    configDirModeWarning("/it's", 0o40777),
    "Config dir /it's is open to other users (mode 0777): run chmod 700 '/it'\\''s'",
  );
});
