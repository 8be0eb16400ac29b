/**
 * The one error type of the document layer.
 */

/**
 * A document cannot be read, built or written.
 *
 * `readOnly` is set when the file is fine as it is but cannot be edited without mangling it
 * (a text file that is not UTF-8): the room opens it for nobody to edit, shows the message, and
 * never writes it. Without `readOnly` the content is unusable (not a notebook at all).
 */
export class DocumentError extends Error {
  readOnly?: boolean;

  constructor(message: string, options?: { readOnly?: boolean }) {
    super(message);
    this.name = 'DocumentError';
    if (options?.readOnly) {
      this.readOnly = true;
    }
  }
}
