// Lint rules for every TypeScript and JavaScript file in the workspace.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "sdk/**", "**/dist/**", "**/*.gen.*"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      // Node's globals, for the JavaScript files (TypeScript files get them from @types/node).
      globals: Object.fromEntries(
        [
          "process",
          "console",
          "Buffer",
          "URL",
          "URLSearchParams",
          "setTimeout",
          "clearTimeout",
          "setInterval",
          "clearInterval",
          "setImmediate",
          "queueMicrotask",
          "performance",
          "AbortController",
          "TextEncoder",
          "TextDecoder",
          "fetch",
        ].map((name) => [name, "readonly"]),
      ),
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": "off",
    },
  },
  {
    // The proxy's request path. Node 20's V8 gives an object made by spread syntax a map outside its
    // transition tree, so a property written after a spread makes a new map per object: about 2 µs
    // and old-generation garbage per request (README, "Benchmark"). Write such objects out.
    files: ["provider/src/proxy/{http,http1,http2}/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "ObjectExpression > SpreadElement ~ Property",
          message:
            "A property after a spread makes V8 build a new map for every object: write the object out, or copy with a loop.",
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
