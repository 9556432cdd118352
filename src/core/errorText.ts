/**
 * The one place where errors become words for chat users. Coded errors carry their own specific
 * message; anything else is a bug, shown only as a generic sentence with the correlation id.
 */
import { AppError, ErrorCode } from '../errors';

export function errorText(error: unknown, correlationId: string): string {
  if (!(error instanceof AppError)) {
    return `Something went wrong on my side. It is logged with id \`${correlationId}\`; please try again.`;
  }
  const fields = error.fields && Object.keys(error.fields).length > 1
    ? `\n${Object.entries(error.fields).map(([f, m]) => `- **${f}**: ${m}`).join('\n')}`
    : '';
  switch (error.code) {
    case ErrorCode.NotFound:
      return `${error.message} Say \`list\` to see the runtimes.`;
    case ErrorCode.Unavailable:
      return `I can't reach the runtime service right now (${error.message}) Try again in a minute.`;
    case ErrorCode.Internal:
      return `Something went wrong on my side. It is logged with id \`${correlationId}\`; please try again.`;
    case ErrorCode.InvalidField:
    case ErrorCode.BadRequest:
      return fields ? `That request has problems:${fields}` : error.message;
    default:
      return error.message;
  }
}
