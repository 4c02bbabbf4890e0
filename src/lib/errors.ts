// The closed set of errors riposte raises on purpose. Each message follows one grammar:
// "cannot <verb> <object>: <reason>", prefixed by the place it concerns (file:line:col and
// config key path) when there is one. Anything else that escapes is a bug.

/** A configuration that cannot be loaded or is invalid; `place` is "file[:line:col]: key.path". */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly place: string;
  readonly reason: string;
  constructor(place: string, reason: string, options?: ErrorOptions) {
    super(place === '' ? reason : `${place}: ${reason}`, options);
    this.place = place;
    this.reason = reason;
  }
}

/** A regex that cannot be parsed or cannot be honoured; `offset` is in the regex source. */
export class RegexError extends Error {
  override readonly name = 'RegexError';
  readonly offset: number;
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.offset = offset;
  }
}

/** A malformed or unexpected message on the control socket. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** The persistent state cannot be opened, read or written. */
export class StateError extends Error {
  override readonly name = 'StateError';
}

/** A command-line usage error or a failure the CLI reports in one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
