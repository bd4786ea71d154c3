/** A request the wire server could not read: malformed JSON, a field of the wrong type, an unknown route. */
export class MalformedRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedRequest";
  }
}
