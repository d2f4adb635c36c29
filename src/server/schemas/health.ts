/** Schema of `GET /healthz`. */
import { Type } from 'typebox';

/** Wire shape `HealthResponse` (protocol/types.ts). */
export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
});
