/** TypeBox schemas of the end-user routes; tied to protocol/types by test/types/server-schemas.test-d.ts. */
import { Type } from 'typebox';
import { MAX_ID_LENGTH } from '../../protocol/limits';
import { DateTime, LimitParam, MetadataSchema, NullableString, OffsetParam } from './common';

/** `EndUserStatus`: ACTIVE or DEACTIVATED. */
export const EndUserStatusSchema = Type.Union([Type.Literal('ACTIVE'), Type.Literal('DEACTIVATED')]);

/** Wire shape `EndUser` (protocol/types.ts). */
export const EndUserSchema = Type.Object({
  id: Type.String(),
  externalId: Type.String(),
  name: NullableString,
  email: NullableString,
  metadata: MetadataSchema,
  status: EndUserStatusSchema,
  createdAt: DateTime,
  updatedAt: DateTime,
  deactivatedAt: Type.Union([DateTime, Type.Null()]),
});

/** Wire shape `EndUserCreateInput` (protocol/types.ts). */
export const EndUserCreateInputSchema = Type.Object(
  {
    externalId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/** Wire shape `EndUserUpdateInput` (protocol/types.ts). */
export const EndUserUpdateInputSchema = Type.Object(
  {
    name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
    metadata: Type.Optional(MetadataSchema),
  },
  { additionalProperties: false },
);

/** Wire shape `EndUserResponse` (protocol/types.ts). */
export const EndUserResponseSchema = Type.Object({ endUser: EndUserSchema });

/** Query string `EndUserListParams` (protocol/types.ts). */
export const EndUserListParamsSchema = Type.Object(
  { status: Type.Optional(EndUserStatusSchema), limit: Type.Optional(LimitParam), offset: Type.Optional(OffsetParam) },
  { additionalProperties: false },
);

/** Wire shape `EndUserListResponse` (protocol/types.ts). */
export const EndUserListResponseSchema = Type.Object({
  endUsers: Type.Array(EndUserSchema),
  total: Type.Integer(),
  activeCount: Type.Integer(),
  deactivatedCount: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
