/**
 * The one place errors become words: what it says depends on the error's type and typed fields,
 * never on loose facts.
 */
import { describe, expect, it } from 'vitest';
import { errorText } from '../../src/core/errorText';
import { markdownOf } from '../../src/channels/teams/render/text';
import { AppError, ErrorCode, RuntimeServiceError } from '../../src/errors';
import { markup } from '../helpers/textMarkup';

const CANT_REACH = "I can't reach the runtime service right now. Try again in a minute.";
const NOT_ALLOWED =
  'The bot is not allowed to call the runtime service. An administrator must check its RUNTIME_SERVICE_TOKEN.';

describe('errorText', () => {
  it.each([401, 403])('should send an administrator to the token when the runtime service answered %i', (status) => {
    const refused = new RuntimeServiceError(ErrorCode.Unavailable, 'check RUNTIME_SERVICE_TOKEN', { status });
    expect(markup(errorText(refused, 'corr-1'))).toBe(NOT_ALLOWED);
  });

  it('should say the service is unreachable for any other unavailability', () => {
    expect(markup(errorText(new RuntimeServiceError(ErrorCode.Unavailable, 'x', { status: 502 }), 'c'))).toBe(
      CANT_REACH,
    );
    expect(
      markup(errorText(new AppError(ErrorCode.Unavailable, 'The runtime service at http://10.0.0.4 is down.'), 'c')),
    ).toBe(CANT_REACH);
  });

  it("should keep the runtime service's detail, which may quote user input, as plain words, and mark the bot's own code", () => {
    const detail = 'Unknown VM size *Big* `x`.';
    expect(errorText(new RuntimeServiceError(ErrorCode.BadRequest, detail, { status: 400 }), 'c')).toEqual([
      { text: detail },
    ]);
    expect(markdownOf(errorText(new RuntimeServiceError(ErrorCode.BadRequest, detail, { status: 400 }), 'c'))).toBe(
      'Unknown VM size \\*Big\\* \\`x\\`.',
    );
    expect(markup(errorText(new AppError(ErrorCode.BadRequest, 'Say `list` first.'), 'c'))).toBe('Say `list` first.');
    expect(errorText(new AppError(ErrorCode.BadRequest, 'Say `list` first.'), 'c')).toContainEqual({
      text: 'list',
      code: true,
    });
  });
});
