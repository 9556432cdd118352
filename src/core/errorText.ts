/**
 * The one place where errors become words for chat users. Coded errors carry their own specific
 * message; anything else is a bug, shown only as a generic sentence with the correlation id.
 * Details that came from the runtime service may quote user input, so they are escaped.
 */
import { AppError, ErrorCode, RuntimeServiceError } from '../errors';
import { storageOutageOf } from '../storage/storage';
import { escapeMarkdown } from './userText';

export function errorText(error: unknown, correlationId: string): string {
  if (storageOutageOf(error)) return "I can't reach my storage right now. Please try again in a minute.";
  if (!(error instanceof AppError)) return generic(correlationId);
  const fromService = error instanceof RuntimeServiceError;
  const say = (text: string) => (fromService ? escapeMarkdown(text) : text);
  const fields =
    error.fields && Object.keys(error.fields).length > 1
      ? `\n${Object.entries(error.fields)
          .map(([f, m]) => `- **${escapeMarkdown(f)}**: ${say(m)}`)
          .join('\n')}`
      : '';
  switch (error.code) {
    case ErrorCode.NotFound:
      return `${say(error.message)} Say \`list\` to see the runtimes.`;
    case ErrorCode.Unavailable:
      // The message may name internal hosts: it goes to the logs, users get a fixed sentence.
      return fromService && (error.status === 401 || error.status === 403)
        ? 'The bot is not allowed to call the runtime service. An administrator must check its RUNTIME_SERVICE_TOKEN.'
        : "I can't reach the runtime service right now. Try again in a minute.";
    case ErrorCode.Overloaded:
      return 'Too many changes are arriving at once. Try again in a few seconds: sending the same request again is safe.';
    case ErrorCode.Internal:
      return generic(correlationId);
    case ErrorCode.InvalidField:
    case ErrorCode.BadRequest:
      return fields ? `That request has problems:${fields}` : say(error.message);
    default:
      return say(error.message);
  }
}

function generic(correlationId: string): string {
  return `Something went wrong on my side. It is logged with id \`${correlationId}\`; please try again.`;
}
