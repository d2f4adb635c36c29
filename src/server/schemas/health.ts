/** Schema of `GET /healthz`. */
import { Type } from 'typebox';

export const HealthResponseSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
});
