/** TypeBox schemas of the subscription routes; tied to protocol/types by a type test. */
import { Type } from 'typebox';
import { DateOrDateTime, DateTime, IdString, LimitParam, MetadataSchema, NullableString, OffsetParam } from './common';

/** `SubscriptionStatus`: ACTIVE or CANCELED. */
export const SubscriptionStatusSchema = Type.Union([Type.Literal('ACTIVE'), Type.Literal('CANCELED')]);

/** Wire shape `Subscription` (protocol/types.ts). */
export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  pricingPlanId: Type.String(),
  status: SubscriptionStatusSchema,
  currentPeriodStart: DateTime,
  currentPeriodEnd: DateTime,
  stripeSubscriptionId: NullableString,
  metadata: MetadataSchema,
  canceledAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime,
});

/** Wire shape `SubscriptionCreateInput` (protocol/types.ts). */
export const SubscriptionCreateInputSchema = Type.Object(
  {
    userId: IdString,
    pricingPlanId: IdString,
    currentPeriodStart: DateOrDateTime,
    currentPeriodEnd: DateOrDateTime,
    stripeSubscriptionId: Type.Optional(IdString),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/** Wire shape `SubscriptionUpdateInput` (protocol/types.ts). */
export const SubscriptionUpdateInputSchema = Type.Object(
  {
    pricingPlanId: Type.Optional(IdString),
    currentPeriodStart: Type.Optional(DateOrDateTime),
    currentPeriodEnd: Type.Optional(DateOrDateTime),
    stripeSubscriptionId: Type.Optional(Type.Union([IdString, Type.Null()])),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/** Query string `SubscriptionListParams` (protocol/types.ts). */
export const SubscriptionListParamsSchema = Type.Object(
  {
    userId: Type.Optional(IdString),
    status: Type.Optional(SubscriptionStatusSchema),
    limit: Type.Optional(LimitParam),
    offset: Type.Optional(OffsetParam),
  },
  { additionalProperties: false },
);

/** Wire shape `SubscriptionListResponse` (protocol/types.ts). */
export const SubscriptionListResponseSchema = Type.Object({
  data: Type.Array(SubscriptionSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
