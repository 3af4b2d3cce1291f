/**
 * A command-line option parser with the semantics of `node:util`'s `parseArgs` for the subset the
 * bridge uses (string and boolean options, short aliases, `multiple`, positionals, `strict`), so that
 * the start-up path need not load Deno's Node compatibility layer. Private: the shape follows
 * `parseArgs` so that the differential test can compare the two directly.
 *
 * @module
 */

/** How one option is written. */
export interface FlagSpec {
  /** `string` takes a value (`--name value`, `--name=value`); `boolean` does not. */
  readonly type: "string" | "boolean";
  /** A one-character alias: `h` for `-h`. */
  readonly short?: string;
  /** Collects every use in an array instead of keeping the last. */
  readonly multiple?: boolean;
}

/** The options a command line may use, by long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The value of one option in strict mode: as declared. */
export type FlagValue<S extends FlagSpec> = S extends { readonly type: "string" }
  ? S extends { readonly multiple: true } ? string[] : string
  : S extends { readonly multiple: true } ? boolean[]
  : boolean;

/** The options given, by long name; an option that was not given is absent. */
export type FlagValues<T extends FlagSpecs> = { -readonly [K in keyof T]?: FlagValue<T[K]> };

/** The options given when `strict` is off: anything, under any name. */
export type LooseFlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What {@linkcode parseFlags} is asked to do. */
export interface ParseFlagsConfig<T extends FlagSpecs, Strict extends boolean> {
  /** The arguments (without the program name). */
  readonly args: readonly string[];
  /** The known options. */
  readonly options: T;
  /** Refuse unknown options and misused values (default `true`). */
  readonly strict?: Strict;
  /** Accept arguments that are not options (default: `true` when not strict). */
  readonly allowPositionals?: boolean;
}

/** The result of {@linkcode parseFlags}. */
export interface ParsedFlags<T extends FlagSpecs, Strict extends boolean> {
  /** The options, by long name. */
  values: Strict extends false ? LooseFlagValues : FlagValues<T>;
  /** The other arguments, in order. */
  positionals: string[];
}

/** The `code` of a {@linkcode ParseFlagsError}, the same as `node:util`'s `parseArgs` uses. */
export type ParseFlagsErrorCode =
  | "ERR_PARSE_ARGS_UNKNOWN_OPTION"
  | "ERR_PARSE_ARGS_INVALID_OPTION_VALUE"
  | "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL";

/**
 * A command line the options refuse. A `TypeError` with a `code`, as `node:util`'s `parseArgs` throws.
 *
 * @example Usage
 * ```ts
 * import { ParseFlagsError } from "./_parse_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ParseFlagsError("ERR_PARSE_ARGS_UNKNOWN_OPTION", "Unknown option '--x'");
 * assert.ok(error instanceof TypeError);
 * assert.equal(error.code, "ERR_PARSE_ARGS_UNKNOWN_OPTION");
 * ```
 */
export class ParseFlagsError extends TypeError {
  /** What is wrong, as a stable name. */
  readonly code: ParseFlagsErrorCode;

  /**
   * @param code What is wrong, as a stable name.
   * @param message What is wrong, for people.
   */
  constructor(code: ParseFlagsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

interface OptionToken {
  kind: "option";
  /** The long name (or the short letter when no option has it as `short`). */
  name: string;
  /** As written: `--name`, `-h`. */
  rawName: string;
  value: string | undefined;
  /** The value was part of the argument (`--name=value`, `-fvalue`). */
  inlineValue: boolean;
}

type Token = OptionToken | { kind: "positional"; value: string };

function own(specs: FlagSpecs, name: string): FlagSpec | undefined {
  return Object.hasOwn(specs, name) ? specs[name] : undefined;
}

function isStringOption(specs: FlagSpecs, name: string): boolean {
  return own(specs, name)?.type === "string";
}

function longNameOf(short: string, specs: FlagSpecs): string {
  for (const [name, spec] of Object.entries(specs)) {
    if (Object.hasOwn(spec, "short") && spec.short === short) return name;
  }
  return short;
}

/** `-f`: one short option. */
function isLoneShort(arg: string): boolean {
  return arg.length === 2 && arg[0] === "-" && arg[1] !== "-";
}

/** `-abc`, `-fvalue`: short options run together, or one with its value. */
function isShortRun(arg: string): boolean {
  return arg.length > 2 && arg[0] === "-" && arg[1] !== "-";
}

function tokenize(args: readonly string[], specs: FlagSpecs): Token[] {
  const tokens: Token[] = [];
  const remaining = [...args];
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    if (arg === "--") {
      for (const rest of remaining) tokens.push({ kind: "positional", value: rest });
      break;
    }
    if (isLoneShort(arg) || (arg.length > 2 && arg.startsWith("--") && !arg.includes("=", 3))) {
      // `-f` or `--name`: a string option takes the next argument, whatever it looks like.
      const name = arg.length === 2 ? longNameOf(arg[1]!, specs) : arg.slice(2);
      const value = isStringOption(specs, name) && remaining.length > 0 ? remaining.shift() : undefined;
      tokens.push({ kind: "option", name, rawName: arg, value, inlineValue: false });
      continue;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      // `--name=value`.
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq);
      tokens.push({
        kind: "option",
        name,
        rawName: `--${name}`,
        value: arg.slice(eq + 1),
        inlineValue: true,
      });
      continue;
    }
    if (isShortRun(arg)) {
      const first = longNameOf(arg[1]!, specs);
      if (isStringOption(specs, first)) {
        // `-fvalue`.
        tokens.push({
          kind: "option",
          name: first,
          rawName: `-${arg[1]}`,
          value: arg.slice(2),
          inlineValue: true,
        });
        continue;
      }
      // `-abc` is `-a -b -c`; a string option inside the run takes the rest: `-abfvalue` is `-a -b -fvalue`.
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        const short = arg[i]!;
        if (!isStringOption(specs, longNameOf(short, specs)) || i === arg.length - 1) {
          expanded.push(`-${short}`);
        } else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      remaining.unshift(...expanded);
      continue;
    }
    tokens.push({ kind: "positional", value: arg });
  }
  return tokens;
}

function checkUsage(token: OptionToken, specs: FlagSpecs, allowPositionals: boolean): void {
  const spec = own(specs, token.name);
  if (spec === undefined) {
    const hint = allowPositionals
      ? `. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${
        JSON.stringify(token.rawName)
      }`
      : "";
    throw new ParseFlagsError("ERR_PARSE_ARGS_UNKNOWN_OPTION", `Unknown option '${token.rawName}'${hint}`);
  }
  const shortAndLong = `${spec.short ? `-${spec.short}, ` : ""}--${token.name}`;
  if (spec.type === "string" && typeof token.value !== "string") {
    throw new ParseFlagsError(
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      `Option '${shortAndLong} <value>' argument missing`,
    );
  }
  if (spec.type === "boolean" && token.value !== undefined) {
    throw new ParseFlagsError(
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      `Option '${shortAndLong}' does not take an argument`,
    );
  }
  // `--header --debug`: the value looks like a forgotten option.
  if (!token.inlineValue && token.value !== undefined && token.value.length > 1 && token.value[0] === "-") {
    const example = token.rawName.startsWith("--")
      ? `'${token.rawName}=-XYZ'`
      : `'--${token.name}=-XYZ' or '${token.rawName}-XYZ'`;
    throw new ParseFlagsError(
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
      `Option '${token.rawName}' argument is ambiguous.\n` +
        `Did you forget to specify the option argument for '${token.rawName}'?\n` +
        `To specify an option argument starting with a dash use ${example}.`,
    );
  }
}

/**
 * Parses a command line as `node:util`'s `parseArgs` does (without `default`, `tokens` and
 * `allowNegative`): `--name value`, `--name=value`, `-h`, `-abc` runs, `--` ending the options
 * and a lone `-` as a positional. In strict mode (the default) an unknown option, a missing value,
 * a boolean given a value, a value that looks like an option, or a positional when
 * `allowPositionals` is off throws a {@linkcode ParseFlagsError}; otherwise anything goes.
 *
 * @example Usage
 * ```ts
 * import { parseFlags } from "./_parse_flags.ts";
 * import assert from "node:assert/strict";
 *
 * const options = {
 *   header: { type: "string", multiple: true },
 *   debug: { type: "boolean" },
 *   help: { type: "boolean", short: "h" },
 * } as const;
 * const { values, positionals } = parseFlags({
 *   args: ["https://x/mcp", "--header", "A: 1", "--header=B: 2", "-h", "--", "--debug"],
 *   options,
 *   allowPositionals: true,
 * });
 * assert.deepEqual(values.header, ["A: 1", "B: 2"]);
 * assert.equal(values.help, true);
 * assert.equal(values.debug, undefined);
 * assert.deepEqual(positionals, ["https://x/mcp", "--debug"]);
 * assert.throws(
 *   () => parseFlags({ args: ["--debug=yes"], options }),
 *   { code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" },
 * );
 * ```
 *
 * @typeParam T The options.
 * @typeParam Strict Whether the options are enforced.
 * @param config The arguments and the options.
 * @returns The options given (by long name) and the positional arguments.
 * @throws {ParseFlagsError} In strict mode, for a command line the options refuse.
 */
export function parseFlags<const T extends FlagSpecs, Strict extends boolean = true>(
  config: ParseFlagsConfig<T, Strict>,
): ParsedFlags<T, Strict> {
  const strict = config.strict ?? true;
  const allowPositionals = config.allowPositionals ?? !strict;
  const specs = config.options;
  const values: Record<string, string | boolean | (string | boolean)[]> = Object.create(null);
  const positionals: string[] = [];
  for (const token of tokenize(config.args, specs)) {
    if (token.kind === "positional") {
      if (!allowPositionals) {
        throw new ParseFlagsError(
          "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
          `Unexpected argument '${token.value}'. This command does not take positional arguments`,
        );
      }
      positionals.push(token.value);
      continue;
    }
    if (strict) checkUsage(token, specs, allowPositionals);
    if (token.name === "__proto__") continue;
    const value = token.value ?? true;
    if (own(specs, token.name)?.multiple) {
      const list = values[token.name];
      if (Array.isArray(list)) list.push(value);
      else values[token.name] = [value];
    } else {
      values[token.name] = value;
    }
  }
  return { values, positionals } as ParsedFlags<T, Strict>;
}
