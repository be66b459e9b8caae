package io.asterline.error;

/** The thing named does not exist, or the caller may not know that it does. */
public final class NotFoundException extends RefusedException {

  public NotFoundException(String message) {
    super(null, message);
  }
}
