/**
 * The Handlebars helpers templates may use. There are only these two; templates are compiled with
 * `knownHelpersOnly`, so anything else (including an unescaped Helm expression) fails to compile.
 *
 * - `json value`   JSON text of the value. JSON is YAML, so it also quotes a YAML scalar safely
 *                  (`host: {{json host}}`) or writes a list/object inline.
 * - `eq a b`       true when a === b; for `{{#if (eq a "x")}}`.
 */
export const HELPERS = {
  json: (value: unknown): string => JSON.stringify(value),
  eq: (a: unknown, b: unknown): boolean => a === b,
} as const;
