/** Reads an attached text file (requirements.txt), with a size cap and a download timeout. */
import type { ChatAttachment } from '../../core/request';
import { AppError, ErrorCode } from '../../errors';

const MAX_BYTES = 100_000;

export async function readAttachment(attachment: ChatAttachment): Promise<string> {
  if (attachment.content !== undefined) return cap(attachment.content);
  if (!attachment.downloadUrl || !/^https:\/\//i.test(attachment.downloadUrl)) {
    throw new AppError(
      ErrorCode.BadRequest,
      `I can't read the attachment ${attachment.name ?? ''}; paste its lines instead.`,
    );
  }
  let response: Response;
  try {
    response = await fetch(attachment.downloadUrl, { signal: AbortSignal.timeout(5000) });
  } catch {
    throw new AppError(
      ErrorCode.BadRequest,
      `I couldn't download ${attachment.name ?? 'the attachment'}; paste its lines instead.`,
    );
  }
  if (!response.ok)
    throw new AppError(
      ErrorCode.BadRequest,
      `Downloading ${attachment.name ?? 'the attachment'} failed (${response.status}).`,
    );
  return cap(await response.text());
}

function cap(text: string): string {
  if (Buffer.byteLength(text) > MAX_BYTES) {
    throw new AppError(
      ErrorCode.BadRequest,
      `The attached file is larger than ${MAX_BYTES / 1000} KB; a requirements file should be much smaller.`,
    );
  }
  return text;
}
