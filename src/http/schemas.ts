/** Small JSON-schema builders shared by the route files. */
export const str = (maxLength = 255) => ({ type: 'string', maxLength }) as const;
export const nonEmpty = (maxLength = 255) => ({ type: 'string', minLength: 1, maxLength }) as const;
export const bool = { type: 'boolean' } as const;

export const userIdParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: nonEmpty() },
} as const;

export function object(properties: Record<string, unknown>, required: string[] = []) {
  return { type: 'object', properties, required } as const;
}
