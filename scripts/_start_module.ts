/**
 * Joins the modules a start of the bundle loads into one: `deno bundle --code-splitting` leaves the
 * start-up code of `main.js` in some twenty chunks (one for each set of lazily loaded parts that shares
 * a piece of it), and Deno pays for every module it loads (a file read, a code-cache lookup, an
 * instantiation): 2 to 3.5 ms of the bridge's cold start for those chunks (30 interleaved starts each).
 *
 * A second `deno bundle` of the first one's output, without splitting, joins `main.js` and the chunks it
 * imports statically into `core.js`, which re-exports everything those chunks exported; the lazily loaded
 * files import those bindings from `core.js` instead of the chunks (one copy of every class and module
 * state), and `main.js` only starts the program. The first bundle's files are esbuild's output, whose
 * imports come first and whose one export clause comes last: anything else is an error, not a guess.
 *
 * @module
 */

/** A static import at the head of a bundle file. */
export interface HeadImport {
  /** The file it imports, e.g. `chunk-AB12CD34.js`. */
  file: string;
  /** What it binds: `[imported, local]` pairs (none for `import "./x.js"`). */
  bindings: [string, string][];
}

/** A bundle file's head: its static imports, and where the rest of its text starts. */
export interface ModuleHead {
  /** The imports, in order. */
  imports: HeadImport[];
  /** The index of the first character after the imports. */
  bodyStart: number;
}

const LEADING_COMMENTS = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/;
// A file of the bundle: esbuild names them after the source files, whatever characters those have.
const HEAD_IMPORT = /^\s*import\s*(?:\{([^}]*)\}\s*from\s*)?"\.\/([^"/]+)";?/;
const NAME = /^[\w$]+$/;

/**
 * The static imports at the head of a file of the first bundle (after its leading comments).
 *
 * @example Usage
 * ```ts
 * import { moduleHead } from "./_start_module.ts";
 * import assert from "node:assert/strict";
 *
 * const head = moduleHead('import{a as b,c}from"./chunk-X.js";import"./chunk-Y.js";let d=b(c);');
 * assert.deepEqual(head.imports, [
 *   { file: "chunk-X.js", bindings: [["a", "b"], ["c", "c"]] },
 *   { file: "chunk-Y.js", bindings: [] },
 * ]);
 * ```
 *
 * @param text The file's text.
 * @returns Its imports and where its body starts.
 */
export function moduleHead(text: string): ModuleHead {
  let at = LEADING_COMMENTS.exec(text)![0].length;
  const imports: HeadImport[] = [];
  for (let match = HEAD_IMPORT.exec(text.slice(at)); match; match = HEAD_IMPORT.exec(text.slice(at))) {
    const bindings = (match[1] ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "")
      .map((part): [string, string] => {
        const [imported, local = imported, extra] = part.split(/\s+as\s+/);
        if (extra !== undefined || !NAME.test(imported!) || !NAME.test(local)) {
          throw new Error(`Cannot read the import of ./${match![2]}: unexpected binding "${part}"`);
        }
        return [imported!, local];
      });
    imports.push({ file: match[2]!, bindings });
    at += match[0].length;
  }
  // An import this reader did not take (another form, or one after code) would escape the join.
  const stray = /\bfrom\s*"\.\/[^"]*"|\bimport\s*"\.\/[^"]*"/.exec(text.slice(at));
  if (stray) throw new Error(`Cannot read the imports of a bundle file: unexpected ${stray[0]}`);
  return { imports, bodyStart: at };
}

/**
 * The files a file of the bundle loads with `import()`; one whose target this reader cannot name (not a
 * string of a file beside it) is an error: the second bundle would copy that file into `core.js`.
 *
 * @example Usage
 * ```ts
 * import { lazyImports } from "./_start_module.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(lazyImports('let a=()=>import("./x-1.js"),b=()=>import("./y$2.js");'), ["x-1.js", "y$2.js"]);
 * assert.throws(() => lazyImports("let a=n=>import(n);"));
 * ```
 *
 * @param text The file's text.
 * @returns The files, once each, in order.
 */
export function lazyImports(text: string): string[] {
  const files = new Set<string>();
  for (const match of text.matchAll(/\bimport\(([^)]*)\)/g)) {
    const file = /^\s*"\.\/([^"/]+)"\s*$/.exec(match[1]!)?.[1];
    if (file === undefined) {
      throw new Error(`Cannot follow ${match[0]}: not a file of the bundle named in a string`);
    }
    files.add(file);
  }
  return [...files];
}

/**
 * The names a file of the first bundle exports, from its one export clause at the end.
 *
 * @example Usage
 * ```ts
 * import { exportedNames } from "./_start_module.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(exportedNames("var x=1,y=2;export{x as a,y};"), ["a", "y"]);
 * assert.deepEqual(exportedNames("var x=1;"), []);
 * ```
 *
 * @param text The file's text.
 * @returns The exported names, in order.
 */
export function exportedNames(text: string): string[] {
  const clause = /export\s*\{([^}]*)\};?\s*$/.exec(text);
  if (!clause) {
    if (/\bexport\b/.test(text.slice(-2000))) {
      throw new Error("Cannot read an export that is not a clause at the end");
    }
    return [];
  }
  return clause[1]!.split(",").map((part) => part.trim()).filter((part) => part !== "").map((part) => {
    const name = part.split(/\s+as\s+/).pop()!;
    if (!NAME.test(name)) throw new Error(`Cannot read the export "${part}"`);
    return name;
  });
}

/** An import statement of `file`, minified as esbuild writes it. */
function importStatement(file: string, bindings: [string, string][]): string {
  if (bindings.length === 0) return `import"./${file}";`;
  return `import{${
    bindings.map(([name, local]) => name === local ? name : `${name} as ${local}`).join(",")
  }}from"./${file}";`;
}

/** What joining the start-up modules takes, worked out from the first bundle's files. */
export interface StartPlan {
  /** The files a start loads: `main.js` and the chunks it imports, directly or not. */
  start: Set<string>;
  /** The files those import with `import()` (left outside `core.js`). */
  lazy: Set<string>;
  /** The entry of the second bundle: `main` and every binding of the start-up chunks, re-exported. */
  entry: string;
  /** The other files, with their imports of start-up chunks turned into imports of `core.js`. */
  rewritten: Map<string, string>;
}

/**
 * Plans the join: which files a start loads, the second bundle's entry, the other files rewritten.
 *
 * @example Usage
 * ```ts
 * import { planStartModule } from "./_start_module.ts";
 * import assert from "node:assert/strict";
 *
 * const plan = planStartModule(new Map([
 *   ["main.js", 'import{a as b}from"./chunk-A.js";let m=()=>import("./lazy.js");export{m as main};'],
 *   ["chunk-A.js", "var a=1;export{a};"],
 *   ["lazy.js", 'import{a as q}from"./chunk-A.js";export{q as r};'],
 * ]));
 * assert.deepEqual([...plan.start].sort(), ["chunk-A.js", "main.js"]);
 * assert.deepEqual([...plan.lazy], ["lazy.js"]);
 * assert.equal(plan.rewritten.get("lazy.js"), 'import{_0$a as q}from"./core.js";export{q as r};');
 * ```
 *
 * @param files Every `.js` file of the first bundle, by name.
 * @returns The plan.
 */
export function planStartModule(files: ReadonlyMap<string, string>): StartPlan {
  const text = (file: string) => {
    const found = files.get(file);
    if (found === undefined) {
      throw new Error(`Cannot join the start-up modules: ./${file} is not in the bundle`);
    }
    return found;
  };
  const start = new Set<string>();
  const pending = ["main.js"];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (start.has(file)) continue;
    start.add(file);
    for (const { file: imported } of moduleHead(text(file)).imports) pending.push(imported);
  }
  const lazy = new Set<string>();
  for (const file of start) for (const imported of lazyImports(text(file))) lazy.add(imported);
  let entry = 'export { main } from "./main.js";\n';
  const names = new Map<string, string[]>();
  // The name core.js exports a chunk's binding under: the chunk's number, then the binding's name.
  const numbers = new Map<string, number>();
  const coreName = (file: string, name: string) => `_${numbers.get(file)}$${name}`;
  // In name order (main.js imports them, so main.js's import order is still the order they run in).
  for (const file of [...start].sort()) {
    if (file === "main.js") continue;
    numbers.set(file, numbers.size);
    const exported = exportedNames(text(file));
    names.set(file, exported);
    entry += exported.length === 0
      ? `import "./${file}";\n`
      : `export { ${
        exported.map((name) => `${name} as ${coreName(file, name)}`).join(", ")
      } } from "./${file}";\n`;
  }
  const rewritten = new Map<string, string>();
  for (const [file, body] of files) {
    if (start.has(file)) continue;
    const head = moduleHead(body);
    // Every binding of a start-up chunk comes from core.js, in one import where the first such import was.
    const fromCore: string[] = [];
    let coreAt = -1;
    const imports: string[] = [];
    for (const { file: imported, bindings } of head.imports) {
      if (imported === "main.js") {
        throw new Error(`Cannot join the start-up modules: ./${file} imports main.js`);
      }
      if (!start.has(imported)) {
        imports.push(importStatement(imported, bindings));
        continue;
      }
      for (const [name, local] of bindings) {
        if (!names.get(imported)!.includes(name)) {
          throw new Error(`Cannot join the start-up modules: ./${imported} does not export ${name}`);
        }
        fromCore.push(`${coreName(imported, name)} as ${local}`);
      }
      if (coreAt === -1) coreAt = imports.push("") - 1;
    }
    if (coreAt !== -1) {
      imports[coreAt] = fromCore.length === 0
        ? 'import"./core.js";'
        : `import{${fromCore.join(",")}}from"./core.js";`;
    }
    const comments = LEADING_COMMENTS.exec(body)![0].length;
    rewritten.set(file, body.slice(0, comments) + imports.join("") + body.slice(head.bodyStart));
  }
  return { start, lazy, entry, rewritten };
}
