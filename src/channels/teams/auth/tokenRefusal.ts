/**
 * Why a request's Bot Framework token was refused, in a few fixed words: safe to log (no part of the
 * token, no claim values a sender chose) and useful to an operator. The checks are botbuilder's and
 * jsonwebtoken's; their messages are matched here, not shown.
 */
export class TokenRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`the Bot Framework token was refused: ${reason}`);
    this.name = 'TokenRefusedError';
  }
}

const REASONS: Array<[RegExp, string]> = [
  [/request is not authorized$|no authorization|bearer/i, 'no bearer token'],
  [/expired/i, 'expired'],
  [/not active|nbf/i, 'not valid yet'],
  [/signing key could not be retrieved|unknown key/i, 'unknown signing key'],
  [/failed to load|fetch|econn|enotfound|socket|network|timed? ?out/i, 'signing keys unavailable'],
  [/endorsement/i, 'signing key not endorsed for the channel'],
  [/algorithm|signature is required|symmetric|asymmetric/i, 'signing algorithm not allowed'],
  [/invalid signature/i, 'bad signature'],
  [/issuer/i, 'wrong issuer'],
  [/appid|audience/i, 'wrong audience'],
  [/serviceurl/i, 'serviceurl claim does not match the activity'],
  // botbuilder says "No valid identity" for a token it cannot read and for one of an issuer it does not know.
  [/malformed|invalid token|no valid identity|unexpected token|json/i, 'malformed token or unknown issuer'],
];

export function refusalReason(error: unknown): string {
  const text = `${(error as Error)?.name ?? ''} ${(error as Error)?.message ?? ''}`;
  return REASONS.find(([pattern]) => pattern.test(text))?.[1] ?? 'invalid token';
}
