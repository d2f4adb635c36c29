/**
 * Schema validation of bodies, query strings, path params and headers with TypeBox's compiler.
 * Bodies are checked as sent (no coercion: `"5"` is not a number). Query strings are converted
 * (`"5"` → 5), but only when the conversion is exact, so `limit=1.5` or `limit=1e3` is rejected
 * instead of silently becoming 1 or 1000.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/** Undo conversions of strings to numbers that do not round-trip exactly. */
function exactConversions(original: unknown, converted: unknown): unknown {
  if (typeof original !== 'object' || original === null || typeof converted !== 'object' || converted === null) return converted;
  const out: Record<string, unknown> = { ...(converted as Record<string, unknown>) };
  for (const [key, before] of Object.entries(original as Record<string, unknown>)) {
    const after = out[key];
    if (typeof before === 'string' && typeof after === 'number' && String(after) !== before) out[key] = before;
  }
  return out;
}

const shallowCopy = (value: unknown): unknown => (typeof value === 'object' && value !== null ? { ...value } : value);

/** The validator compiler installed on the app. */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (value) => {
    // Value.Convert converts in place, so hand it a copy and keep the original for the exactness check.
    const input = httpPart === 'body' ? value : exactConversions(value, Value.Convert(schema, shallowCopy(value)));
    if (check.Check(input)) return { value: input };
    return { error: check.Errors(input) as unknown as Error };
  };
};
