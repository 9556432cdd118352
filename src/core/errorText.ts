/**
 * The one place where errors become words for chat users. Coded errors carry their own specific
 * message; anything else is a bug, shown only as a generic sentence with the correlation id.
 * Details that came from the runtime service may quote user input, so they stay plain words;
 * the bot's own messages mark code with backquotes (text.ts `fromMessage`).
 */
import { AppError, ErrorCode, RuntimeServiceError } from '../errors';
import { storageOutageOf } from '../storage/storage';
import { code, fromMessage, strong, t, text, type Text } from './text';

export function errorText(error: unknown, correlationId: string): Text {
  if (storageOutageOf(error)) return text("I can't reach my storage right now. Please try again in a minute.");
  if (!(error instanceof AppError)) return generic(correlationId);
  const fromService = error instanceof RuntimeServiceError;
  const say = (message: string) => (fromService ? text(message) : fromMessage(message));
  const fields =
    error.fields && Object.keys(error.fields).length > 1
      ? text(...Object.entries(error.fields).map(([f, m]) => t`\n- ${strong(f)}: ${say(m)}`))
      : undefined;
  switch (error.code) {
    case ErrorCode.NotFound:
      return t`${say(error.message)} Say ${code('list')} to see the runtimes.`;
    case ErrorCode.Unavailable:
      // The message may name internal hosts: it goes to the logs, users get a fixed sentence.
      return text(
        fromService && (error.status === 401 || error.status === 403)
          ? 'The bot is not allowed to call the runtime service. An administrator must check its RUNTIME_SERVICE_TOKEN.'
          : "I can't reach the runtime service right now. Try again in a minute.",
      );
    case ErrorCode.Overloaded:
      return text(
        'Too many changes are arriving at once. Try again in a few seconds: sending the same request again is safe.',
      );
    case ErrorCode.Internal:
      return generic(correlationId);
    case ErrorCode.InvalidField:
    case ErrorCode.BadRequest:
      return fields ? t`That request has problems:${fields}` : say(error.message);
    default:
      return say(error.message);
  }
}

function generic(correlationId: string): Text {
  return t`Something went wrong on my side. It is logged with id ${code(correlationId)}; please try again.`;
}
