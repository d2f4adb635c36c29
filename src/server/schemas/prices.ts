/** TypeBox schemas of the price lookup route; tied to protocol/types by a type test. */
import { Type } from 'typebox';
import { DateTime } from './common';

/** Query string `PriceLookupParams` (protocol/types.ts). */
export const PriceLookupParamsSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 255 }),
    provider: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    at: Type.Optional(DateTime),
  },
  { additionalProperties: false },
);

/** Wire shape `TokenKindPrice` (protocol/types.ts). */
export const TokenKindPriceSchema = Type.Object({
  usdPerMillion: Type.Number(),
  tiers: Type.Array(Type.Object({ aboveInputTokens: Type.Number(), usdPerMillion: Type.Number() })),
  source: Type.String(),
});

/** Wire shape `PriceLookupResponse` (protocol/types.ts). */
export const PriceLookupResponseSchema = Type.Object({
  model: Type.String(),
  provider: Type.Union([Type.String(), Type.Null()]),
  at: DateTime,
  priced: Type.Boolean(),
  matchedModel: Type.Union([Type.String(), Type.Null()]),
  matchedProvider: Type.Union([Type.String(), Type.Null()]),
  prices: Type.Object({
    input: Type.Optional(TokenKindPriceSchema),
    output: Type.Optional(TokenKindPriceSchema),
    cache_read: Type.Optional(TokenKindPriceSchema),
    cache_write: Type.Optional(TokenKindPriceSchema),
    cache_write_1h: Type.Optional(TokenKindPriceSchema),
  }),
});
