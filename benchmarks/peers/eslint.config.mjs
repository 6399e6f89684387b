// ESLint 9 flat config for the benchmark: TypeScript parser, react-hooks and
// react-perf, every rule of both plugins as an error. bench.py copies this file
// next to the installed plugins (the --tools directory) before running it.
import tsParser from "@typescript-eslint/parser";
import reactHooks from "eslint-plugin-react-hooks";
import reactPerf from "eslint-plugin-react-perf";

const allAsErrors = (prefix, plugin) =>
  Object.fromEntries(Object.keys(plugin.rules).map((name) => [`${prefix}/${name}`, "error"]));

export default [
  { ignores: ["**/node_modules/**", "**/dist/**", "**/build/**", "**/*.min.js", "**/*.d.ts"] },
  {
    files: ["**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}"],
    languageOptions: {
      parser: tsParser,
      parserOptions: { ecmaFeatures: { jsx: true }, sourceType: "module" },
    },
    linterOptions: { reportUnusedDisableDirectives: "off", noInlineConfig: true },
    plugins: { "react-hooks": reactHooks, "react-perf": reactPerf },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      ...allAsErrors("react-perf", reactPerf),
    },
  },
];
