/**
 * The join of the bundle's start-up modules (`scripts/_start_module.ts`): how it reads esbuild's output,
 * what it plans, and that it refuses what it cannot read rather than guess. The built bundle itself is
 * tested in `bundle_test.ts`.
 */
import assert from "node:assert/strict";
import { exportedNames, lazyImports, moduleHead, planStartModule } from "../../scripts/_start_module.ts";

Deno.test("moduleHead: the imports after the leading comments, and where the code starts", () => {
  const text = '// @ts-self-types="./main.d.ts"\n/**\n * x\n */\nimport{a as b,c}from"./chunk-A.js";' +
    'import"./chunk-B.js";import{d}from"./chunk-C.js";var e=b+c+d;';
  const head = moduleHead(text);
  assert.deepEqual(head.imports, [
    { file: "chunk-A.js", bindings: [["a", "b"], ["c", "c"]] },
    { file: "chunk-B.js", bindings: [] },
    { file: "chunk-C.js", bindings: [["d", "d"]] },
  ]);
  assert.equal(text.slice(head.bodyStart), "var e=b+c+d;");
  assert.deepEqual(moduleHead("var x=1;"), { imports: [], bodyStart: 0 });
});

Deno.test("moduleHead: an import it cannot read is an error, not a file left out of the join", () => {
  // A namespace import, and an import after code: esbuild writes neither, and either would escape the join.
  assert.throws(
    () => moduleHead('import*as n from"./chunk-A.js";n.a();'),
    /unexpected from"\.\/chunk-A\.js"/,
  );
  assert.throws(() => moduleHead('var x=1;import{a}from"./chunk-A.js";'), /unexpected from"\.\/chunk-A\.js"/);
  assert.throws(() => moduleHead('var x=1;import"./chunk-A.js";'), /unexpected import"\.\/chunk-A\.js"/);
  // A dynamic import is no static one.
  assert.deepEqual(moduleHead('let f=()=>import("./lazy.js");').imports, []);
});

Deno.test("moduleHead: a file named after a source file with any character is still read as an import", () => {
  assert.deepEqual(moduleHead('import{a}from"./co$t-X1.js";a();').imports, [
    { file: "co$t-X1.js", bindings: [["a", "a"]] },
  ]);
  assert.throws(() => moduleHead('a();import{b}from"./co$t-X1.js";'), /unexpected from"\.\/co\$t-X1\.js"/);
});

Deno.test("lazyImports: each file named in an import(), once; an import() of anything else is an error", () => {
  assert.deepEqual(
    lazyImports('var a=()=>import("./x.js"),b=()=>import( "./co$t-1.js" ),c=()=>import("./x.js");'),
    ["x.js", "co$t-1.js"],
  );
  assert.deepEqual(lazyImports("var a=1;"), []);
  // The second bundle would copy such a file into core.js, where it would exist a second time.
  assert.throws(() => lazyImports("var a=n=>import(n);"), /Cannot follow import\(n\)/);
  assert.throws(() => lazyImports('var a=()=>import("node:fs");'), /not a file of the bundle/);
});

Deno.test("exportedNames: the names of the export clause at the end; none without one", () => {
  assert.deepEqual(exportedNames("var a=1,b=2;export{a as x,b};"), ["x", "b"]);
  assert.deepEqual(exportedNames("var a=1,b=2;export{a as x,b};\n"), ["x", "b"]);
  assert.deepEqual(exportedNames("var a=1;"), []);
  assert.throws(() => exportedNames("export var a=1;"), /not a clause at the end/);
});

/** A first bundle: main.js, two start-up chunks (one only for its side effects), a lazy file and its chunk. */
function firstBundle(): Map<string, string> {
  return new Map([
    [
      "main.js",
      '// header\nimport{a as f}from"./chunk-A.js";import"./chunk-S.js";' +
      'var m=()=>import("./lazy.js").then(x=>x.run(f));export{m as main};',
    ],
    ["chunk-A.js", 'import{b as g}from"./chunk-B.js";var a=()=>g;export{a};'],
    ["chunk-B.js", "var b=1,c=2;export{b,c as d};"],
    ["chunk-S.js", "globalThis.s=1;"],
    [
      "lazy.js",
      'import{a as q}from"./chunk-L.js";import{d as r}from"./chunk-B.js";import{a}from"./chunk-A.js";' +
      "var run=()=>q+r+a;export{run};",
    ],
    ["chunk-L.js", 'import"./chunk-S.js";var a=3;export{a};'],
  ]);
}

Deno.test("planStartModule: the start-up files, the lazy ones, and core.js's entry re-exporting every binding", () => {
  const plan = planStartModule(firstBundle());
  assert.deepEqual([...plan.start].sort(), ["chunk-A.js", "chunk-B.js", "chunk-S.js", "main.js"]);
  assert.deepEqual([...plan.lazy], ["lazy.js"]);
  assert.equal(
    plan.entry,
    'export { main } from "./main.js";\n' +
      'export { a as _0$a } from "./chunk-A.js";\n' +
      'export { b as _1$b, d as _1$d } from "./chunk-B.js";\n' +
      'import "./chunk-S.js";\n',
  );
});

Deno.test("planStartModule: lazy files import the start-up bindings from core.js, in one import, the rest as it was", () => {
  const plan = planStartModule(firstBundle());
  assert.deepEqual([...plan.rewritten.keys()].sort(), ["chunk-L.js", "lazy.js"]);
  assert.equal(
    plan.rewritten.get("lazy.js"),
    'import{a as q}from"./chunk-L.js";import{_1$d as r,_0$a as a}from"./core.js";var run=()=>q+r+a;export{run};',
  );
  // A start-up chunk imported for its side effects: core.js ran them.
  assert.equal(plan.rewritten.get("chunk-L.js"), 'import"./core.js";var a=3;export{a};');
});

Deno.test("planStartModule: refuses a lazy file that imports main.js, a missing binding or a missing file", () => {
  const withMain = firstBundle().set("lazy.js", 'import{main}from"./main.js";export{main as run};');
  assert.throws(() => planStartModule(withMain), /\.\/lazy\.js imports main\.js/);
  const unknown = firstBundle().set("lazy.js", 'import{zz}from"./chunk-B.js";export{zz as run};');
  assert.throws(() => planStartModule(unknown), /\.\/chunk-B\.js does not export zz/);
  const missing = firstBundle().set("chunk-A.js", 'import"./chunk-gone.js";var a=1;export{a};');
  assert.throws(() => planStartModule(missing), /\.\/chunk-gone\.js is not in the bundle/);
});
