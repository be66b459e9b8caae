package io.asterline.error;

/**
 * The service refuses what it was asked, for a reason the caller can act on: the input is wrong, the thing named
 * does not exist, it conflicts with what is there, or the service cannot do it now. Business code throws these
 * without knowing who asked; each front end (the HTTP API in {@code http/}) turns them into its own answer in one
 * place. The message is for the caller: it names the input and what would be valid, never a secret.
 */
public abstract sealed class RefusedException extends RuntimeException
    permits InvalidInputException, NotFoundException, ConflictException, UnavailableException {

  private final String field;

  RefusedException(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The input at fault as the caller wrote it (a request field), or null when no one input is. */
  public String field() {
    return field;
  }
}
