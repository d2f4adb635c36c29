/** Thrown when the chosen engine's driver package is not installed; the message says what to install. */
export class StoreDriverMissingError extends Error {
  override readonly name = 'StoreDriverMissingError';
}
