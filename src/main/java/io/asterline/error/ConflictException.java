package io.asterline.error;

/** What was asked clashes with what is there now (a duplicate, a disabled tenant, a limit reached). */
public final class ConflictException extends RefusedException {

  public ConflictException(String message) {
    super(null, message);
  }

  /** @param field the input that clashes (a name or number taken already) */
  public ConflictException(String field, String message) {
    super(field, message);
  }
}
